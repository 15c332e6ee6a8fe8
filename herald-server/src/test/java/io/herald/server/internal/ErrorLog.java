package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * Records the ERROR lines the server logs, so that a fuzz test can tell a client's mistake (never
 * an ERROR, PROTOCOL.md and COMMON.md) from a server fault. Leak reports are left to {@link
 * io.herald.server.LeakDetection}. Thread-safe.
 */
final class ErrorLog extends AppenderBase<ILoggingEvent> {
  private final List<String> lines = new CopyOnWriteArrayList<>();

  /** Attaches a new recorder to the root logger. */
  static ErrorLog install() {
    ErrorLog log = new ErrorLog();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    log.setContext(root.getLoggerContext());
    log.setName("fuzz-error-log");
    log.start();
    root.addAppender(log);
    return log;
  }

  /** Detaches this recorder. */
  void uninstall() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(this);
    stop();
  }

  @Override
  protected void append(ILoggingEvent e) {
    if (e.getLevel().isGreaterOrEqual(Level.ERROR)
        && !e.getLoggerName().startsWith("io.netty.util.ResourceLeakDetector")) {
      IThrowableProxy t = e.getThrowableProxy();
      lines.add(
          e.getLoggerName()
              + ": "
              + e.getFormattedMessage()
              + (t == null ? "" : " (" + t.getClassName() + ": " + t.getMessage() + ")"));
    }
  }

  /** Forgets what was recorded. */
  void clear() {
    lines.clear();
  }

  /** Fails listing the ERROR lines logged since the last {@link #clear()}. */
  void assertNone() {
    assertThat(lines).as("ERROR lines logged for a client's input").isEmpty();
  }
}
