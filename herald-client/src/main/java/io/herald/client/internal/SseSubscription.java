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
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Flow;

/**
 * Server-Sent Events: {@code GET /channels/{list}?since=CURSOR} with {@code Accept:
 * text/event-stream}, the body read one chunk at a time ({@code request(1)} after each chunk is
 * parsed and delivered: the listener's pace is the backpressure). The server announces a clean end
 * with a {@code herald.end} event ({@code {"reason":"draining","retryAfterMillis":N}}): the stream
 * is then reopened from the current cursor after that hint, with no error reported. A stream that
 * ends without it (the server crashed, a proxy cut the connection) or breaks is a failure: reported
 * to {@code onError} and reopened from the current cursor after the reconnect delay. A 4xx answer
 * ends the subscription. Thread-safe.
 */
final class SseSubscription extends AbstractSubscription {
  private volatile Flow.Subscription body;
  private volatile int generation;
  private final java.util.concurrent.atomic.AtomicInteger retried =
      new java.util.concurrent.atomic.AtomicInteger();

  SseSubscription(
      ClientSettings settings, List<String> channels, Cursor since, SubscriptionListener listener) {
    super(settings, Transport.SSE, channels, since, listener);
  }

  @Override
  void start() {
    connect();
  }

  @Override
  void closeTransport() {
    Flow.Subscription s = body;
    if (s != null) {
      s.cancel();
    }
  }

  private void connect() {
    if (closed) {
      return;
    }
    int gen = ++generation;
    String since = sinceQuery();
    URI uri =
        URI.create(
            settings.httpBase()
                + "/channels/"
                + String.join(",", channels())
                + (since.isEmpty() ? "" : "?" + since));
    HttpRequest request =
        settings
            .credentials()
            .apply(HttpRequest.newBuilder(uri))
            .header("Accept", "text/event-stream")
            .header("Cache-Control", "no-cache")
            .GET()
            .build();
    Cursor sent = tracker.cursor();
    settings
        .http()
        .sendAsync(
            request,
            info -> {
              if (info.statusCode() == 200) {
                return BodySubscribers.fromSubscriber(new Reader(gen, sent));
              }
              return BodySubscribers.mapping(
                  BodySubscribers.ofByteArray(),
                  bytes -> {
                    HeraldClientException e = errorOf(info.statusCode(), bytes);
                    if (renewsToken(e)) {
                      retryNow(gen, e);
                    } else if (info.statusCode() >= 500) {
                      retry(gen, e);
                    } else {
                      fail(errorOf(info.statusCode(), bytes));
                    }
                    return null;
                  });
            })
        .whenComplete(
            (response, error) -> {
              if (error != null) {
                retry(
                    gen,
                    error.getCause() != null && !(error instanceof IOException)
                        ? error.getCause()
                        : error);
              }
            });
  }

  /** Reconnects at once with a new token, once per connection. */
  private void retryNow(int gen, Throwable error) {
    if (closed || gen != generation || retried.getAndSet(gen) == gen) {
      return;
    }
    error(error);
    renewal(this::connect);
  }

  /** Reports {@code error} and reconnects, once per connection. */
  private void retry(int gen, Throwable error) {
    if (closed || gen != generation || retried.getAndSet(gen) == gen) {
      return;
    }
    error(error);
    later(this::connect);
  }

  /**
   * Reconnects after the server's hint (a clean end: {@code herald.end}), once per connection; not
   * a failure, so nothing is reported and the backoff does not grow.
   */
  private void reconnectAfter(int gen, long millis) {
    if (closed || gen != generation || retried.getAndSet(gen) == gen) {
      return;
    }
    afterHint(millis, this::connect);
  }

  /** Reads one SSE stream; discarded when a newer connection starts. */
  private final class Reader implements Flow.Subscriber<List<ByteBuffer>> {
    private final int gen;
    private final Cursor sent;
    private final SseParser parser;
    private Flow.Subscription subscription;

    Reader(int gen, Cursor sent) {
      this.gen = gen;
      this.sent = sent;
      this.parser = new SseParser(this::event);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      body = s;
      connected();
      if (closed) {
        s.cancel();
      } else {
        s.request(1);
      }
    }

    @Override
    public void onNext(List<ByteBuffer> chunks) {
      if (closed || gen != generation) {
        subscription.cancel();
        return;
      }
      try {
        for (ByteBuffer b : chunks) {
          parser.feed(b);
        }
      } catch (RuntimeException e) {
        subscription.cancel();
        retry(gen, e);
        return;
      }
      subscription.request(1);
    }

    @Override
    public void onError(Throwable t) {
      retry(gen, t);
    }

    @Override
    public void onComplete() {
      retry(
          gen,
          new IOException(
              "the event stream ended without herald.end (the server stopped or the connection"
                  + " was cut); resuming from "
                  + tracker.cursor()));
    }

    private void event(SseEvent e) {
      if (closed || gen != generation) {
        return;
      }
      try {
        switch (e.type()) {
          case "herald.subscribed":
            {
              JsonNode d = Json.MAPPER.readTree(e.data());
              boolean recovered = d.path("recovered").asBoolean(true);
              String text =
                  d.path("cursor").isTextual() ? d.path("cursor").asText() : e.lastEventId();
              Cursor at = Cursor.parse(text, channels().size());
              for (int i = 0; i < at.size(); i++) {
                Position p = at.get(i);
                if (p != null) {
                  subscribed(channels().get(i), p, recovered || resumed(sent.get(i), p));
                }
              }
              break;
            }
          case "herald.expired":
            {
              // The token expired and the server ends the stream: resume from the cursor with a
              // new token, or end when the token cannot be renewed.
              HeraldClientException expired =
                  new HeraldClientException(
                      401, "token_expired", "the token expired (herald.expired)");
              if (renewsToken(expired)) {
                subscription.cancel();
                retryNow(gen, expired);
              } else {
                fail(expired);
              }
              break;
            }
          case "herald.end":
            {
              // A clean end (the node drains): resume from the cursor after the server's hint,
              // typically on another node.
              subscription.cancel();
              reconnectAfter(gen, Math.max(0, retryAfterMillis(e.data())));
              break;
            }
          case "herald.gap":
            {
              JsonNode d = Json.MAPPER.readTree(e.data());
              gap(d.path("channel").asText(null), position(d.path("position")));
              replaceFromId(e);
              break;
            }
          default:
            {
              if (e.type().startsWith("herald.")) {
                break;
              }
              Message m = Message.parseEnvelope(e.data().getBytes(StandardCharsets.UTF_8));
              message(m);
              replaceFromId(e);
              break;
            }
        }
      } catch (IOException | RuntimeException ex) {
        error(ex);
      }
    }

    private void replaceFromId(SseEvent e) {
      if (e.lastEventId().isEmpty() || closed) {
        return;
      }
      try {
        tracker.replace(Cursor.parse(e.lastEventId(), channels().size()));
      } catch (RuntimeException ignored) {
        // An id that is not a cursor of this subscription: keep the cursor tracked from messages.
      }
    }
  }
}
