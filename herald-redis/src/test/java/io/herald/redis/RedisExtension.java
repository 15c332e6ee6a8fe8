package io.herald.redis;

import java.io.IOException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real redis-server for all the tests of a class: started (on a free port) before the class's
 * own {@code @BeforeAll} methods, stopped after its {@code @AfterAll} methods. Register it as
 * {@code @RegisterExtension static final RedisExtension redis = new RedisExtension();}. Its methods
 * are valid between those two points; the tests of a class share its data (use unique keys and
 * channels). Not thread-safe to start or stop; reading it from any thread is fine.
 */
public final class RedisExtension implements BeforeAllCallback, AfterAllCallback {
  private volatile RedisServerProcess process;

  @Override
  public void beforeAll(ExtensionContext context) {
    process = RedisServerProcess.start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    RedisServerProcess p = process;
    process = null;
    if (p != null) {
      p.close();
    }
  }

  /**
   * The running redis-server.
   *
   * @throws IllegalStateException outside the class's tests
   */
  public RedisServerProcess process() {
    RedisServerProcess p = process;
    if (p == null) {
      throw new IllegalStateException("Redis runs only while the test class does");
    }
    return p;
  }

  /** {@link RedisServerProcess#uri()} of the running server. */
  public String uri() {
    return process().uri();
  }

  /** {@link RedisServerProcess#port()} of the running server. */
  public int port() {
    return process().port();
  }

  /** {@link RedisServerProcess#command} on the running server. */
  public String command(String... args) throws IOException {
    return process().command(args);
  }
}
