package io.herald.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.client.SubscriptionListener;
import io.herald.core.Cursor;
import io.herald.core.Json;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.Transport;
import java.io.IOException;
import java.net.URI;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * WebSocket in the URL-subscription form: {@code GET /channels/{list}?since=CURSOR} with {@code
 * Upgrade: websocket}; the server sends a {@code subscribed} frame per channel, then message and
 * gap frames. Frames are requested one at a time after each is delivered (the listener's pace is
 * the backpressure); a text message is bounded by {@link #MAX_FRAME_CHARS}. A connection closed by
 * the server (other than with 1008 or 1009) or broken is reopened from the current cursor after the
 * reconnect delay; a refused handshake with a 4xx answer, 1008 and 1009 end the subscription. The
 * JDK answers pings. Thread-safe.
 */
final class WebSocketSubscription extends AbstractSubscription {
  /** Longest text message accepted from the server, in characters: 16 Mi. */
  static final int MAX_FRAME_CHARS = 16 << 20;

  private volatile WebSocket socket;
  private final java.util.concurrent.CompletableFuture<Void> peerClosed =
      new java.util.concurrent.CompletableFuture<>();
  private volatile int generation;
  private final AtomicInteger retried = new AtomicInteger();

  WebSocketSubscription(
      ClientSettings settings, List<String> channels, Cursor since, SubscriptionListener listener) {
    super(settings, Transport.WEBSOCKET, channels, since, listener);
  }

  @Override
  void start() {
    connect();
  }

  @Override
  void closeTransport() {
    WebSocket ws = socket;
    if (ws != null) {
      // Close handshake: send 1000, wait up to 2 s for the server's close frame, then drop the TCP
      // connection either way.
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "")
          .thenCompose(w -> peerClosed)
          .orTimeout(2, TimeUnit.SECONDS)
          .whenComplete((w, e) -> ws.abort());
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
            settings.wsBase()
                + "/channels/"
                + String.join(",", channels())
                + (since.isEmpty() ? "" : "?" + since));
    Cursor sent = tracker.cursor();
    settings
        .credentials()
        .apply(settings.http().newWebSocketBuilder())
        .connectTimeout(settings.requestTimeout())
        .buildAsync(uri, new Frames(gen, sent))
        .whenComplete(
            (ws, error) -> {
              if (error == null) {
                socket = ws;
                if (closed) {
                  closeTransport();
                }
                return;
              }
              Throwable cause = error.getCause() != null ? error.getCause() : error;
              if (cause instanceof WebSocketHandshakeException h) {
                int status = h.getResponse().statusCode();
                Object body = h.getResponse().body();
                byte[] bytes =
                    body instanceof byte[] b
                        ? b
                        : body instanceof String s
                            ? s.getBytes(StandardCharsets.UTF_8)
                            : new byte[0];
                if (status >= 400 && status < 500 && !renewsToken(errorOf(status, bytes))) {
                  fail(errorOf(status, bytes));
                  return;
                }
                retry(gen, errorOf(status, bytes));
                return;
              }
              retry(gen, cause);
            });
  }

  /** Reconnects at once (a token renewal, not a failure), once per connection. */
  private void retryNow(int gen, Throwable error) {
    if (closed || gen != generation || retried.getAndSet(gen) == gen) {
      return;
    }
    error(error);
    renewal(this::connect);
  }

  private void retry(int gen, Throwable error) {
    if (closed || gen != generation || retried.getAndSet(gen) == gen) {
      return;
    }
    error(error);
    later(this::connect);
  }

  /** The listener of one connection; ignored once a newer connection starts. */
  private final class Frames implements WebSocket.Listener {
    private final int gen;
    private final Cursor sent;
    private final StringBuilder text = new StringBuilder();

    Frames(int gen, Cursor sent) {
      this.gen = gen;
      this.sent = sent;
    }

    @Override
    public void onOpen(WebSocket ws) {
      connected();
      ws.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      if (closed || gen != generation) {
        ws.request(1); // read on to the server's close frame
        return null;
      }
      if (text.length() + data.length() > MAX_FRAME_CHARS) {
        ws.abort();
        retry(
            gen,
            new IOException(
                "a WebSocket message from the server passed " + MAX_FRAME_CHARS + " characters"));
        return null;
      }
      text.append(data);
      if (last) {
        String frame = text.toString();
        text.setLength(0);
        frame(frame);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, java.nio.ByteBuffer data, boolean last) {
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      if (gen == generation) {
        peerClosed.complete(null);
      }
      if (closed || gen != generation) {
        return null;
      }
      IOException e =
          new IOException(
              "the server closed the WebSocket with "
                  + code
                  + (reason.isEmpty() ? "" : " (" + reason + ")"));
      long hint = code == 1001 ? retryAfterMillis(reason) : -1;
      if (hint >= 0) {
        // a draining server: reconnect after its jittered hint, typically to another node
        if (retried.getAndSet(gen) != gen) {
          afterHint(hint, WebSocketSubscription.this::connect);
        }
      } else if (code == 4001 && settings.credentials().renewable()) {
        // the token expired (or none was accepted): reconnect at once with the supplier's next one
        retryNow(gen, e);
      } else if (code == 1008 || code == 1009 || code == 4001 || code == 4003) {
        fail(e);
      } else {
        retry(gen, e);
      }
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      retry(gen, error);
    }

    private void frame(String frame) {
      try {
        JsonNode node = Json.MAPPER.readTree(frame);
        switch (node.path("type").asText("")) {
          case "message":
            {
              message(Message.parseEnvelope(frame.getBytes(StandardCharsets.UTF_8)));
              break;
            }
          case "subscribed":
            {
              String channel = node.path("channel").asText(null);
              Position p = position(node.path("position"));
              int i = channel == null ? -1 : tracker.indexOf(channel);
              boolean recovered = node.path("recovered").asBoolean(true);
              if (p != null && i >= 0) {
                subscribed(channel, p, recovered || resumed(sent.get(i), p));
              }
              break;
            }
          case "gap":
            gap(node.path("channel").asText(null), position(node.path("position")));
            break;
          case "error":
            error(errorOf(node));
            break;
          default:
            break;
        }
      } catch (IOException | RuntimeException e) {
        error(e);
      }
    }
  }
}
