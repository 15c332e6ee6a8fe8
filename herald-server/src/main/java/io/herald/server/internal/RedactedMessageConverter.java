package io.herald.server.internal;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback's {@code %redactedMsg} (declared by a {@code conversionRule} in {@code logback.xml}): the
 * formatted message with token query parameters and Bearer credentials redacted by {@link
 * JsonLogEncoder#redact}, so the text and the JSON log formats redact by the same rules, written
 * once. Thread-safe (stateless).
 */
public final class RedactedMessageConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return JsonLogEncoder.redact(event.getFormattedMessage());
  }
}
