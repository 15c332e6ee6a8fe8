package io.herald.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.client.HeraldClientException;
import io.herald.client.SubscriptionListener;
import io.herald.core.Cursor;
import io.herald.core.Json;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.Transport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Short or long polling: one request at a time, each carrying the cursor as {@code since}; the
 * answer's {@code cursor} becomes the next {@code since}. A short poll waits the short-poll
 * interval after an empty answer and asks again at once after a non-empty one; a long poll asks
 * again at once. The first request of a long-poll subscription is sent without {@code wait}, so
 * that it answers at once with where the subscription stands ({@code onSubscribed}) and any
 * retained backlog. A failed request (I/O, 5xx) is reported and retried after the reconnect delay;
 * a 4xx ends the subscription. Thread-safe.
 */
final class PollSubscription extends AbstractSubscription {
  private final boolean longPoll;
  private volatile CompletableFuture<?> inFlight;
  private volatile boolean first = true;

  PollSubscription(
      ClientSettings settings,
      boolean longPoll,
      List<String> channels,
      Cursor since,
      SubscriptionListener listener) {
    super(
        settings, longPoll ? Transport.LONG_POLL : Transport.SHORT_POLL, channels, since, listener);
    this.longPoll = longPoll;
  }

  @Override
  void start() {
    poll();
  }

  @Override
  void closeTransport() {
    CompletableFuture<?> f = inFlight;
    if (f != null) {
      f.cancel(true);
    }
  }

  private void poll() {
    if (closed) {
      return;
    }
    StringBuilder q = new StringBuilder();
    String since = sinceQuery();
    if (!since.isEmpty()) {
      q.append(since);
    }
    if (longPoll && !first) {
      q.append(q.length() > 0 ? "&" : "")
          .append("wait=")
          .append(Math.max(1, settings.longPollWait().toSeconds()));
    }
    if (settings.pollLimit() > 0) {
      q.append(q.length() > 0 ? "&" : "").append("limit=").append(settings.pollLimit());
    }
    URI uri =
        URI.create(
            settings.httpBase()
                + "/channels/"
                + String.join(",", channels())
                + (q.length() > 0 ? "?" + q : ""));
    Duration timeout =
        longPoll && !first
            ? settings.longPollWait().plus(settings.requestTimeout())
            : settings.requestTimeout();
    HttpRequest request =
        settings
            .credentials()
            .apply(HttpRequest.newBuilder(uri))
            .timeout(timeout)
            .header("Accept", "application/json")
            .GET()
            .build();
    CompletableFuture<HttpResponse<byte[]>> sent =
        settings.http().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
    inFlight = sent; // cancelled by close(): the JDK then aborts the exchange
    sent.whenComplete(
        (response, error) -> {
          if (closed) {
            return;
          }
          if (error != null) {
            error(
                error instanceof IOException || error.getCause() == null
                    ? error
                    : error.getCause());
            later(this::poll);
          } else {
            answered(response);
          }
        });
  }

  private void answered(HttpResponse<byte[]> response) {
    int status = response.statusCode();
    if (status != 200) {
      HeraldClientException refused = errorOf(status, response.body());
      if (renewsToken(refused)) {
        error(refused);
        renewal(this::poll); // again from the same cursor with the supplier's next token
      } else if (status >= 500) {
        error(errorOf(status, response.body()));
        later(this::poll);
      } else {
        fail(errorOf(status, response.body()));
      }
      return;
    }
    connected();
    boolean hadMessages;
    try {
      hadMessages = deliver(Json.MAPPER.readTree(response.body()));
    } catch (IOException | RuntimeException e) {
      fail(e);
      return;
    }
    if (closed) {
      return;
    }
    if (longPoll || hadMessages) {
      CompletableFuture.runAsync(this::poll);
    } else {
      CompletableFuture.delayedExecutor(
              settings.shortPollInterval().toMillis(), TimeUnit.MILLISECONDS)
          .execute(this::poll);
    }
  }

  /** Delivers one answer; returns whether it held any message. */
  private boolean deliver(JsonNode body) throws IOException {
    int n = channels().size();
    Cursor next = Cursor.parse(body.path("cursor").asText(""), n);
    boolean recovered = body.path("recovered").asBoolean(true);
    List<Message> messages = new ArrayList<>();
    Position[] standing = new Position[n];
    for (JsonNode m : body.path("messages")) {
      Message msg = Message.parseEnvelope(Json.MAPPER.writeValueAsBytes(m));
      messages.add(msg);
      int i = tracker.indexOf(msg.channel());
      if (i >= 0 && standing[i] == null) {
        standing[i] = new Position(msg.epoch(), msg.offset() - 1);
      }
    }
    for (int i = 0; i < n; i++) {
      if (standing[i] == null) {
        standing[i] = next.get(i);
      }
    }
    Cursor before = tracker.cursor();
    for (int i = 0; i < n; i++) {
      if (standing[i] == null) {
        continue;
      }
      if (first) {
        subscribed(
            channels().get(i), standing[i], recovered || resumed(before.get(i), standing[i]));
      } else if (!recovered && !resumed(before.get(i), standing[i])) {
        gap(channels().get(i), standing[i]);
      }
    }
    first = false;
    for (Message m : messages) {
      message(m);
    }
    if (!closed) {
      tracker.replace(next);
    }
    return !messages.isEmpty();
  }
}
