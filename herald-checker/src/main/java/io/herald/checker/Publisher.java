package io.herald.checker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.checker.History.Attempt;
import io.herald.checker.History.Outcome;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One publisher: publishes to random channels on random nodes, over HTTP or WebSocket, each
 * publication with its own idempotency key, and records every attempt. A 503 is final (nothing was
 * published); an unknown outcome (504, timeout, network error) is retried with the same key, up to
 * {@link #MAX_ATTEMPTS} attempts, possibly on another node.
 *
 * <p>Runs on its own thread until {@link #stop}.
 */
final class Publisher implements Runnable {
  static final int MAX_ATTEMPTS = 5;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String name;
  private final Random random;
  private final History history;
  private final Cluster cluster;
  private final List<String> channels;
  private final String runId;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Map<Integer, WsConnection> sockets = new HashMap<>();
  private volatile boolean stopped;
  private long count;
  private long wsIds;

  Publisher(
      String name,
      long seed,
      History history,
      Cluster cluster,
      List<String> channels,
      String runId) {
    this.name = name;
    this.random = new Random(seed);
    this.history = history;
    this.cluster = cluster;
    this.channels = channels;
    this.runId = runId;
  }

  void stop() {
    stopped = true;
  }

  @Override
  public void run() {
    try {
      while (!stopped) {
        publishOne();
        Thread.sleep(40 + random.nextInt(60));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      sockets.values().forEach(WsConnection::close);
    }
  }

  private void publishOne() throws InterruptedException {
    String pub = name + "-" + (++count);
    String key = runId + "-" + pub;
    String channel = channels.get(random.nextInt(channels.size()));
    ObjectNode data = JSON.createObjectNode();
    data.put("pub", pub);
    data.put("n", count);
    data.put("text", "m" + random.nextInt(1_000_000));
    String body = data.toString();
    for (int attempt = 1; attempt <= MAX_ATTEMPTS && !stopped; attempt++) {
      int node = random.nextInt(cluster.size());
      boolean ws = random.nextBoolean();
      Attempt a =
          new Attempt(
              history.nextSeq(),
              pub,
              key,
              channel,
              body,
              attempt,
              cluster.nodeName(node),
              ws ? "ws" : "http",
              history.now());
      history.add(a);
      if (ws) {
        publishWs(a, node, data);
      } else {
        publishHttp(a, node);
      }
      a.end = history.now();
      if (a.outcome == Outcome.ACKNOWLEDGED || a.outcome == Outcome.UNAVAILABLE) {
        return;
      }
      Thread.sleep(200 + random.nextInt(300));
    }
  }

  private void publishHttp(Attempt a, int node) {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(cluster.url(node) + "/channels/" + a.channel))
            .timeout(Duration.ofSeconds(4))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", a.key)
            .POST(HttpRequest.BodyPublishers.ofString(a.data))
            .build();
    try {
      HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
      int status = res.statusCode();
      if (status == 201) {
        JsonNode j = JSON.readTree(res.body());
        acknowledge(a, j);
      } else if (status == 503) {
        a.outcome = Outcome.UNAVAILABLE;
        a.detail = "503 " + abbreviate(res.body());
      } else if (status == 504) {
        a.outcome = Outcome.UNKNOWN;
        a.detail = "504 " + abbreviate(res.body());
      } else {
        a.outcome = Outcome.OTHER;
        a.detail = status + " " + abbreviate(res.body());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      a.outcome = Outcome.UNKNOWN;
      a.detail = "interrupted";
    } catch (Exception e) {
      a.outcome = Outcome.UNKNOWN;
      a.detail = e.getClass().getSimpleName();
    }
  }

  private void publishWs(Attempt a, int node, ObjectNode data) {
    try {
      WsConnection ws = sockets.get(node);
      if (ws == null) {
        ws = new WsConnection(http, URI.create(cluster.url(node).replace("http:", "ws:") + "/ws"));
        sockets.put(node, ws);
      }
      long id = ++wsIds;
      ObjectNode cmd = JSON.createObjectNode();
      cmd.put("type", "publish");
      cmd.put("id", id);
      cmd.put("channel", a.channel);
      cmd.set("data", data);
      cmd.put("idempotencyKey", a.key);
      ws.send(cmd.toString());
      long deadline = System.nanoTime() + 4_000_000_000L;
      while (true) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          a.outcome = Outcome.UNKNOWN;
          a.detail = "no reply within 4 s";
          dropSocket(node);
          return;
        }
        String frame = ws.take(left);
        if (frame == null) {
          continue;
        }
        JsonNode reply = JSON.readTree(frame);
        if (reply.path("id").asLong(-1) != id) {
          continue;
        }
        String type = reply.path("type").asText();
        if ("published".equals(type)) {
          acknowledge(a, reply);
        } else {
          String code = reply.path("error").path("code").asText();
          a.outcome =
              "unavailable".equals(code)
                  ? Outcome.UNAVAILABLE
                  : "publish_outcome_unknown".equals(code) ? Outcome.UNKNOWN : Outcome.OTHER;
          a.detail = abbreviate(frame);
        }
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      a.outcome = Outcome.UNKNOWN;
      a.detail = "interrupted";
    } catch (Exception e) {
      a.outcome = Outcome.UNKNOWN;
      a.detail = e.getClass().getSimpleName();
      dropSocket(node);
    }
  }

  private void dropSocket(int node) {
    WsConnection ws = sockets.remove(node);
    if (ws != null) {
      ws.close();
    }
  }

  private static void acknowledge(Attempt a, JsonNode j) {
    a.epoch = j.path("epoch").asText();
    a.offset = j.path("offset").asLong();
    a.outcome = Outcome.ACKNOWLEDGED;
  }

  static String abbreviate(String s) {
    s = s.replace('\n', ' ');
    return s.length() > 160 ? s.substring(0, 160) + "..." : s;
  }
}
