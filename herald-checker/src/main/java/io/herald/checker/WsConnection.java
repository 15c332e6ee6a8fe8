package io.herald.checker;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw WebSocket client (the JDK's) that hands each complete text frame to the reading thread
 * through a queue and asks the socket for the next frame only when that thread took one: a reader
 * that stops taking stops reading the socket (backpressure reaches the server).
 *
 * <p>One reading thread; {@link #send} from any thread.
 */
final class WsConnection implements AutoCloseable {
  /** Put in the queue when the connection ends; {@link #take} answers null after it. */
  private static final String END = new String("end");

  private final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
  private final WebSocket ws;
  private volatile String endReason = "";

  WsConnection(HttpClient http, URI uri) throws Exception {
    this.ws =
        http.newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .buildAsync(uri, new Listener())
            .get(3, TimeUnit.SECONDS);
  }

  /** Sends one text frame; waits up to 2 s for it to be written. */
  void send(String text) throws Exception {
    ws.sendText(text, true).get(2, TimeUnit.SECONDS);
  }

  /**
   * The next frame, waiting up to {@code millis}; null on timeout. Throws when the connection
   * ended.
   */
  String take(long millis) throws Exception {
    String f = frames.poll(millis, TimeUnit.MILLISECONDS);
    if (f == END) {
      frames.add(END);
      throw new java.io.IOException("websocket ended: " + endReason);
    }
    if (f != null) {
      ws.request(1);
    }
    return f;
  }

  @Override
  public void close() {
    ws.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        frames.add(partial.toString());
        partial.setLength(0);
      } else {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      endReason = "closed " + statusCode + " " + reason;
      frames.add(END);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      endReason = String.valueOf(error);
      frames.add(END);
    }
  }
}
