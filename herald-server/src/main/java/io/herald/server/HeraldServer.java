package io.herald.server;

import io.herald.core.Hub;
import java.net.InetSocketAddress;

/**
 * A running Herald server. (API outline; the implementation is being written.)
 *
 * <pre>{@code
 * try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
 *   String base = server.baseUrl(); // http://127.0.0.1:PORT
 * }
 * }</pre>
 */
public final class HeraldServer implements AutoCloseable {
  private HeraldServer() {}

  /** Binds and starts serving; blocks until bound. Fails with an exception when the port is taken. */
  public static HeraldServer start(ServerConfig config) {
    throw new UnsupportedOperationException("not yet");
  }

  /** The bound address. */
  public InetSocketAddress address() {
    throw new UnsupportedOperationException("not yet");
  }

  /** The bound port. */
  public int port() {
    return address().getPort();
  }

  /** {@code http://HOST:PORT}, without a trailing slash. */
  public String baseUrl() {
    return "http://" + address().getHostString() + ":" + port();
  }

  /** The hub (channels, logs and subscribers) this server serves. */
  public Hub hub() {
    throw new UnsupportedOperationException("not yet");
  }

  /** Graceful shutdown: stop accepting, close WebSockets with 1001, end SSE, answer parked polls. Blocks. */
  @Override
  public void close() {}
}
