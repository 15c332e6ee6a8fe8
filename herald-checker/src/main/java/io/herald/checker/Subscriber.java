package io.herald.checker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.checker.History.Kind;
import io.herald.checker.History.Observation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;

/**
 * One subscriber of every checked channel, herald.js-like: it keeps one position per channel and
 * resumes from it on every reconnect. A steady subscriber sticks to one transport and one node
 * (another node after an error); a hopper changes node and transport every 0.2 to 3 seconds, and on
 * a poll transport sends each request to a random node (herald.js behind a round-robin load
 * balancer). Every fact seen on the wire is recorded as an {@link Observation}: each envelope, each
 * reported position, each {@code recovered:false} and each gap.
 *
 * <p>Runs on its own thread until {@link #stop}; the frames of a WebSocket are read by that thread
 * too, so a stalled subscriber (see {@code stalled}) stops reading its socket.
 */
final class Subscriber implements Runnable {
  /** The four transports. */
  enum Transport {
    WS,
    SSE,
    LONG_POLL,
    SHORT_POLL
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private final String name;
  private final Random random;
  private final History history;
  private final Cluster cluster;
  private final List<String> channels;
  private final Transport fixed;
  private final BooleanSupplier stalled;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** Channel to position ("epoch:offset"), null while it starts from now. */
  private final Map<String, String> positions = new LinkedHashMap<>();

  private volatile boolean stopped;
  private int session;
  private int node;
  private Transport transport;

  /**
   * @param fixed the transport of a steady subscriber, or null for a hopper
   * @param stalled while true, this subscriber reads nothing (a stalled client)
   */
  Subscriber(
      String name,
      long seed,
      History history,
      Cluster cluster,
      List<String> channels,
      Transport fixed,
      BooleanSupplier stalled) {
    this.name = name;
    this.random = new Random(seed);
    this.history = history;
    this.cluster = cluster;
    this.channels = channels;
    this.fixed = fixed;
    this.stalled = stalled;
    for (String c : channels) {
      positions.put(c, null);
    }
    this.node = random.nextInt(cluster.size());
  }

  String name() {
    return name;
  }

  void stop() {
    stopped = true;
  }

  /** The current positions, channel to "epoch:offset" (null: not yet known). */
  synchronized Map<String, String> positions() {
    return new LinkedHashMap<>(positions);
  }

  @Override
  public void run() {
    while (!stopped) {
      session++;
      transport = fixed != null ? fixed : Transport.values()[random.nextInt(4)];
      if (fixed == null) {
        node = random.nextInt(cluster.size());
      }
      long until =
          fixed != null
              ? Long.MAX_VALUE
              : System.nanoTime() + (200 + random.nextInt(2_800)) * 1_000_000L;
      for (String c : channels) {
        String p;
        synchronized (this) {
          p = positions.get(c);
        }
        if (p != null) {
          record(c, Kind.RESUME, p, null);
        }
      }
      try {
        switch (transport) {
          case WS -> runWs(until);
          case SSE -> runSse(until);
          case LONG_POLL -> runPoll(until, true);
          case SHORT_POLL -> runPoll(until, false);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        // a cut, a killed node, a refused connection: reconnect (elsewhere) and resume
        if (fixed != null) {
          node = (node + 1) % cluster.size();
        }
      }
      try {
        Thread.sleep(fixed == null ? random.nextInt(100) : 100 + random.nextInt(400));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private String cursor() {
    StringBuilder b = new StringBuilder();
    boolean any = false;
    synchronized (this) {
      for (int i = 0; i < channels.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        String p = positions.get(channels.get(i));
        if (p != null) {
          b.append(p);
          any = true;
        }
      }
    }
    return any ? b.toString() : null;
  }

  private String path() {
    return "/channels/" + String.join(",", channels);
  }

  private String query(String cursor, String extra) {
    List<String> q = new ArrayList<>();
    if (cursor != null) {
      q.add("since=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
    }
    if (extra != null) {
      q.add(extra);
    }
    return q.isEmpty() ? "" : "?" + String.join("&", q);
  }

  private void awaitUnstalled() throws InterruptedException {
    while (stalled.getAsBoolean() && !stopped) {
      Thread.sleep(50);
    }
  }

  private void runWs(long until) throws Exception {
    String cursor = cursor();
    Map<String, String> given = positions();
    URI uri = URI.create(cluster.url(node).replace("http:", "ws:") + path() + query(cursor, null));
    try (WsConnection ws = new WsConnection(http, uri)) {
      while (!stopped && System.nanoTime() < until) {
        awaitUnstalled();
        String frame = ws.take(200);
        if (frame == null) {
          continue;
        }
        JsonNode f = JSON.readTree(frame);
        String type = f.path("type").asText();
        String channel = f.path("channel").asText();
        switch (type) {
          case "subscribed" -> {
            String pos = f.path("position").asText();
            boolean recovered = f.path("recovered").asBoolean(true);
            notice(channel, given.get(channel), pos, recovered);
          }
          case "message" -> deliver(f);
          case "gap" -> move(channel, Kind.GAP, f.path("position").asText());
          default -> {
            // errors and other frames are not part of the check
          }
        }
      }
    }
  }

  private void runSse(long until) throws Exception {
    String cursor = cursor();
    Map<String, String> given = positions();
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(cluster.url(node) + path() + query(cursor, null)))
            .header("Accept", "text/event-stream")
            .build();
    HttpResponse<InputStream> res = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    InputStream raw = res.body();
    java.util.concurrent.atomic.AtomicBoolean done =
        new java.util.concurrent.atomic.AtomicBoolean();
    try (InputStream body = raw) {
      if (res.statusCode() != 200) {
        throw new IOException("SSE answered " + res.statusCode());
      }
      BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
      // readLine blocks: a watchdog closes the stream when the session is over
      Thread watchdog =
          new Thread(
              () -> {
                try {
                  while (!stopped && !done.get() && System.nanoTime() < until) {
                    Thread.sleep(100);
                  }
                  raw.close();
                } catch (Exception ignored) {
                  // closing ends the read
                }
              },
              name + "-sse-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
      String event = null;
      StringBuilder data = new StringBuilder();
      String line;
      while ((line = in.readLine()) != null) {
        if (stopped || System.nanoTime() >= until) {
          return;
        }
        if (line.isEmpty()) {
          if (data.length() > 0) {
            awaitUnstalled();
            sseEvent(event, data.toString(), given);
          }
          event = null;
          data.setLength(0);
        } else if (line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          if (data.length() > 0) {
            data.append('\n');
          }
          data.append(line.substring(5).stripLeading());
        }
      }
    } finally {
      done.set(true);
    }
  }

  private void sseEvent(String event, String data, Map<String, String> given) throws IOException {
    JsonNode d = JSON.readTree(data);
    if ("herald.subscribed".equals(event)) {
      boolean recovered = d.path("recovered").asBoolean(true);
      List<String> pos = splitCursor(d.path("cursor").asText());
      for (int i = 0; i < channels.size() && i < pos.size(); i++) {
        String c = channels.get(i);
        notice(c, given.get(c), pos.get(i), recovered);
      }
    } else if ("herald.gap".equals(event)) {
      move(d.path("channel").asText(), Kind.GAP, d.path("position").asText());
    } else if (d.has("offset") && d.has("epoch")) {
      deliver(d);
    }
  }

  private void runPoll(long until, boolean longPoll) throws Exception {
    while (!stopped && System.nanoTime() < until) {
      awaitUnstalled();
      if (fixed == null) {
        // a hopper polls like herald.js behind a round-robin load balancer: any node, each request
        node = random.nextInt(cluster.size());
      }
      String cursor = cursor();
      Map<String, String> given = positions();
      HttpRequest req =
          HttpRequest.newBuilder(
                  URI.create(
                      cluster.url(node) + path() + query(cursor, longPoll ? "wait=2" : null)))
              .timeout(Duration.ofSeconds(6))
              .build();
      HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() != 200) {
        throw new IOException("poll answered " + res.statusCode());
      }
      JsonNode j = JSON.readTree(res.body());
      boolean recovered = j.path("recovered").asBoolean(true);
      List<String> pos = splitCursor(j.path("cursor").asText());
      // where each channel's answer starts: before its first message, or its cursor when it has
      // none
      Map<String, String> start = new LinkedHashMap<>();
      for (JsonNode m : j.path("messages")) {
        start.putIfAbsent(
            m.path("channel").asText(),
            m.path("epoch").asText() + ":" + (m.path("offset").asLong() - 1));
      }
      for (int i = 0; i < channels.size() && i < pos.size(); i++) {
        String c = channels.get(i);
        notice(c, given.get(c), start.getOrDefault(c, pos.get(i)), recovered);
      }
      for (JsonNode m : j.path("messages")) {
        deliver(m);
      }
      for (int i = 0; i < channels.size() && i < pos.size(); i++) {
        String c = channels.get(i);
        String p = pos.get(i);
        if (!p.isEmpty() && !p.equals(positions().get(c))) {
          record(c, Kind.POSITION, p, null);
          set(c, p);
        }
      }
      if (!longPoll && j.path("messages").size() == 0) {
        Thread.sleep(100 + random.nextInt(200));
      }
    }
  }

  private static List<String> splitCursor(String cursor) {
    List<String> out = new ArrayList<>();
    for (String p : cursor.split(",", -1)) {
      out.add(p.trim());
    }
    return out;
  }

  /** A position reported at subscribe time: recovered (POSITION) or not (NOT_RECOVERED). */
  private void notice(String channel, String given, String reported, boolean recovered) {
    if (reported == null || reported.isEmpty() || !channels.contains(channel)) {
      return;
    }
    if (reported.equals(given)) {
      return; // resumed where it stood: nothing new to record
    }
    if (given == null) {
      record(channel, Kind.POSITION, reported, null);
    } else {
      record(channel, recovered ? Kind.POSITION : Kind.NOT_RECOVERED, reported, null);
    }
    set(channel, reported);
  }

  private void move(String channel, Kind kind, String position) {
    if (!channels.contains(channel)) {
      return;
    }
    record(channel, kind, position, null);
    set(channel, position);
  }

  private void deliver(JsonNode envelope) {
    String channel = envelope.path("channel").asText();
    if (!channels.contains(channel)) {
      return;
    }
    String epoch = envelope.path("epoch").asText();
    long offset = envelope.path("offset").asLong();
    history.add(
        new Observation(
            history.nextSeq(),
            history.now(),
            name,
            session,
            cluster.nodeName(node),
            transport.name(),
            channel,
            Kind.DELIVER,
            epoch,
            offset,
            envelope.path("data").toString()));
    set(channel, epoch + ":" + offset);
  }

  private synchronized void set(String channel, String position) {
    positions.put(channel, position);
  }

  private void record(String channel, Kind kind, String position, String data) {
    int colon = position.lastIndexOf(':');
    String epoch = colon < 0 ? "" : position.substring(0, colon);
    long offset;
    try {
      offset = Long.parseLong(position.substring(colon + 1));
    } catch (NumberFormatException e) {
      offset = -1;
    }
    history.add(
        new Observation(
            history.nextSeq(),
            history.now(),
            name,
            session,
            cluster.nodeName(node),
            transport.name(),
            channel,
            kind,
            epoch,
            offset,
            data));
  }
}
