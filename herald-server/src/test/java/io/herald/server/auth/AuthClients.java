package io.herald.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.server.TestClients;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Real WebSocket clients with request headers, for the authorization tests. */
final class AuthClients {
  private AuthClients() {}

  /** A WebSocket whose text frames and close code land in queues. */
  static final class Socket implements WebSocket.Listener, AutoCloseable {
    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final CompletableFuture<String> closeReason = new CompletableFuture<>();
    WebSocket socket;
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closeReason.complete(reason);
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(-1);
    }

    void send(String text) {
      socket.sendText(text, true).join();
    }

    JsonNode next() {
      try {
        String t = texts.poll(10, TimeUnit.SECONDS);
        assertThat(t).as("a WebSocket frame within 10 s").isNotNull();
        return TestClients.json(t);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** The next frame that is not a message push. */
    JsonNode nextReply() {
      while (true) {
        JsonNode n = next();
        if (!n.path("type").asText().equals("message")) {
          return n;
        }
      }
    }

    int closeCode() {
      return closed.orTimeout(20, TimeUnit.SECONDS).join();
    }

    @Override
    public void close() {
      if (socket != null) {
        socket.abort();
      }
    }
  }

  /**
   * Opens a WebSocket with {@code headers} (name, value, ...).
   *
   * @return the socket, or throws {@link Refused} with the HTTP status of a refused upgrade
   */
  static Socket open(String url, String... headers) {
    Socket s = new Socket();
    WebSocket.Builder b =
        TestClients.HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      s.socket = b.buildAsync(URI.create(url), s).join();
      return s;
    } catch (CompletionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException h) {
        HttpResponse<?> r = h.getResponse();
        throw new Refused(r.statusCode(), r.headers().firstValue("WWW-Authenticate").orElse(null));
      }
      throw e;
    }
  }

  /** A refused upgrade. */
  static final class Refused extends RuntimeException {
    final int status;
    final String challenge;

    Refused(int status, String challenge) {
      super("upgrade refused with " + status);
      this.status = status;
      this.challenge = challenge;
    }
  }
}
