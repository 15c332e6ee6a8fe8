package io.herald.browser;

import static org.awaitility.Awaitility.await;

import io.herald.server.HeraldServer;
import io.herald.server.ServerConfig;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** In-process servers for the browser tests. */
final class Servers {
  private Servers() {}

  /**
   * Settings for a test server: any free port, and a graceful shutdown of at most one second, so
   * that no test waits long on a connection the browser still holds.
   */
  static ServerConfig.Builder config() {
    return ServerConfig.builder().port(0).shutdownTimeout(Duration.ofSeconds(1));
  }

  /** Starts a server on any free port. */
  static HeraldServer start(ServerConfig.Builder config) {
    return HeraldServer.start(config.build());
  }

  /**
   * Starts a server on {@code port}, retrying while the port is still held by the one just stopped.
   */
  static HeraldServer startOn(int port, ServerConfig.Builder config) {
    AtomicReference<HeraldServer> started = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              started.set(HeraldServer.start(config.port(port).build()));
              return true;
            });
    return started.get();
  }
}
