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
 * <p>Liveness, as herald.js does it: after {@link #PING_AFTER_MILLIS} without a frame while the
 * reader is taking, it sends a {@code ping} command, and when no frame at all comes within {@link
 * #ANSWER_WITHIN_MILLIS} after it, {@link #take} throws: the connection is dead. The JDK's client
 * does not always notice the end of a connection the peer closed (a socket left in CLOSE-WAIT for
 * good, seen under the proxy's cuts), and a stalled network delivers nothing either; without this a
 * subscriber would wait in silence forever. Time the reader spends away (a stalled client) does not
 * count as silence.
 *
 * <p>One reading thread; {@link #send} from any thread.
 */
final class WsConnection implements AutoCloseable {
  /** Put in the queue when the connection ends; {@link #take} answers null after it. */
  private static final String END = new String("end");

  /** Silence while taking after which a {@code ping} command is sent, in milliseconds. */
  static final long PING_AFTER_MILLIS = 2_000;

  /** How long after the ping some frame must come, in milliseconds. */
  static final long ANSWER_WITHIN_MILLIS = 3_000;

  /** A gap between two {@link #take} calls longer than this: the reader was away (stalled). */
  private static final long AWAY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
  private final WebSocket ws;
  private volatile String endReason = "";
  private long quietSince = System.nanoTime();
  private long lastTake = System.nanoTime();
  private long pingedAt;
  private boolean pinged;

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
    long start = System.nanoTime();
    if (start - lastTake > AWAY_NANOS) {
      quietSince = start; // the reader was away: its own silence, not the connection's
      pinged = false;
    }
    String f = frames.poll(millis, TimeUnit.MILLISECONDS);
    long now = System.nanoTime();
    lastTake = now;
    if (f == END) {
      frames.add(END);
      throw new java.io.IOException("websocket ended: " + endReason);
    }
    if (f != null) {
      quietSince = now;
      pinged = false;
      ws.request(1);
      return f;
    }
    if (!pinged && now - quietSince > TimeUnit.MILLISECONDS.toNanos(PING_AFTER_MILLIS)) {
      pinged = true;
      pingedAt = now;
      send("{\"type\":\"ping\",\"id\":\"alive\"}");
    } else if (pinged && now - pingedAt > TimeUnit.MILLISECONDS.toNanos(ANSWER_WITHIN_MILLIS)) {
      throw new java.io.IOException(
          "websocket silent: no frame within "
              + ANSWER_WITHIN_MILLIS
              + " ms of a ping, after "
              + PING_AFTER_MILLIS
              + " ms without any");
    }
    return null;
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
