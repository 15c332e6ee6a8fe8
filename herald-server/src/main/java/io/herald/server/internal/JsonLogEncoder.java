package io.herald.server.internal;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Iterator;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * Logback's {@link JsonEncoder} writing one JSON object per line ({@code timestamp} in epoch
 * milliseconds, {@code nanoseconds}, {@code level}, {@code threadName}, {@code loggerName}, {@code
 * mdc}, {@code message}, {@code throwable}), with the message formatted and redacted as the text
 * pattern of {@code logback.xml} is: a {@code token} query parameter and a {@code Bearer}
 * credential become {@code [redacted]}. Arguments are not written separately (they are in the
 * message), nor the logger context.
 *
 * <p>Selected by {@code --log-format json} through {@link #install()}. Thread-safe as Logback's
 * encoders are (an appender calls it under its lock).
 */
public final class JsonLogEncoder extends JsonEncoder {
  private static final Pattern TOKEN_PARAMETER = Pattern.compile("([?&;]token=)[^&\\s\"]*");
  private static final Pattern BEARER = Pattern.compile("(?i)(Bearer\\s+)[A-Za-z0-9._~+/=-]+");

  /** An encoder with the fields above; call {@code setContext} and {@code start} before use. */
  public JsonLogEncoder() {
    setWithSequenceNumber(false); // 0 unless a generator is configured
    setWithArguments(false);
    setWithContext(false);
    setWithFormattedMessage(false);
    setWithMessage(true);
  }

  /**
   * {@code text} with token query parameters and Bearer credentials replaced by {@code [redacted]}.
   */
  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    String out = TOKEN_PARAMETER.matcher(text).replaceAll("$1[redacted]");
    return BEARER.matcher(out).replaceAll("$1[redacted]");
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    LoggingEvent copy = new LoggingEvent();
    copy.setLoggerName(event.getLoggerName());
    copy.setLoggerContextRemoteView(event.getLoggerContextVO());
    copy.setLevel(event.getLevel());
    copy.setThreadName(event.getThreadName());
    copy.setMessage(redact(event.getFormattedMessage()));
    copy.setInstant(event.getInstant());
    copy.setSequenceNumber(event.getSequenceNumber());
    copy.setMDCPropertyMap(event.getMDCPropertyMap());
    copy.setKeyValuePairs(event.getKeyValuePairs());
    if (event.getMarkerList() != null) {
      event.getMarkerList().forEach(copy::addMarker);
    }
    if (event.getThrowableProxy() instanceof ThrowableProxy proxy) {
      copy.setThrowableProxy(proxy);
    }
    return super.encode(copy);
  }

  /**
   * Switches every console and file appender of the root logger of Logback's default context to
   * this encoder. Does nothing when SLF4J is not bound to Logback. Call once at start-up, before
   * the server logs; not thread-safe against concurrent reconfiguration.
   *
   * @return whether an appender was switched
   */
  public static boolean install() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return false;
    }
    boolean switched = false;
    Iterator<Appender<ILoggingEvent>> it =
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
    while (it.hasNext()) {
      if (it.next() instanceof OutputStreamAppender<ILoggingEvent> appender) {
        JsonLogEncoder encoder = new JsonLogEncoder();
        encoder.setContext(context);
        encoder.start();
        appender.stop();
        appender.setEncoder(encoder);
        appender.start();
        switched = true;
      }
    }
    return switched;
  }
}
