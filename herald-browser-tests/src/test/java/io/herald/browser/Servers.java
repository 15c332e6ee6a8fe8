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
   * Starts a server on any free port whose {@code config} names a broker (Redis), and waits, 20 s
   * at most, until the broker is available to it.
   */
  static HeraldServer startAndAwaitBroker(ServerConfig.Builder config) {
    HeraldServer node = start(config);
    await().atMost(Duration.ofSeconds(20)).until(() -> node.hub().broker().isAvailable());
    return node;
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

  /**
   * Closes what a test class started (browser, servers, Redis...), in the order given, skipping the
   * nulls of a {@code @BeforeAll} that failed half way; every one is closed even if one fails, and
   * the first failure is thrown after.
   */
  static void closeAll(AutoCloseable... resources) {
    RuntimeException failure = null;
    for (AutoCloseable r : resources) {
      if (r == null) {
        continue;
      }
      try {
        r.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e instanceof RuntimeException re ? re : new IllegalStateException(e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
