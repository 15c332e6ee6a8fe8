package io.herald.client.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * An incremental {@code text/event-stream} parser, the minimum of the WHATWG HTML "Interpreting an
 * event stream" rules: lines end with CRLF, LF or CR (also split across chunks); a leading BOM is
 * skipped; a blank line dispatches; a line starting with {@code :} is a comment; {@code
 * field:value} with one optional space after the colon, or a whole line as a field with an empty
 * value; fields {@code event}, {@code data}, {@code id} (ignored when it contains NUL) and {@code
 * retry} (ASCII digits only); other fields are ignored. An event with no data is not dispatched.
 * Bytes are UTF-8.
 *
 * <p>Bounded: a line longer than {@code maxLineBytes} raises {@link IllegalStateException}, and so
 * does an event whose data passes that size. Not thread-safe: feed it from one thread at a time.
 */
public final class SseParser {
  /** Default longest line and event data, in bytes: 1 MiB. */
  public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

  private final Consumer<SseEvent> events;
  private final LongConsumer retry;
  private final int maxLineBytes;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private final StringBuilder data = new StringBuilder();
  private boolean hasData;
  private String eventType = "";
  private String lastEventId = "";
  private boolean afterCr;
  private boolean started;

  /**
   * @param events called for each dispatched event, on the feeding thread
   * @param retry called with the reconnection time in milliseconds for each valid {@code retry:}
   * @param maxLineBytes the longest line and event data accepted, in bytes, 1 or more
   */
  public SseParser(Consumer<SseEvent> events, LongConsumer retry, int maxLineBytes) {
    this.events = events;
    this.retry = retry;
    this.maxLineBytes = maxLineBytes;
  }

  /** A parser with {@link #DEFAULT_MAX_LINE_BYTES} that ignores {@code retry:}. */
  public SseParser(Consumer<SseEvent> events) {
    this(events, ms -> {}, DEFAULT_MAX_LINE_BYTES);
  }

  /** Feeds the remaining bytes of {@code buffer} (consumed), dispatching every complete event. */
  public void feed(ByteBuffer buffer) {
    while (buffer.hasRemaining()) {
      accept(buffer.get());
    }
  }

  /** Feeds bytes, dispatching every complete event. */
  public void feed(byte[] bytes) {
    feed(ByteBuffer.wrap(bytes));
  }

  /** Feeds a string as UTF-8; convenient for tests. */
  public void feed(String text) {
    feed(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The last event ID buffer: the last {@code id:} seen, even without a dispatch since. */
  public String lastEventId() {
    return lastEventId;
  }

  private void accept(byte b) {
    if (afterCr) {
      afterCr = false;
      if (b == '\n') {
        return;
      }
    }
    if (b == '\r') {
      afterCr = true;
      endLine();
    } else if (b == '\n') {
      endLine();
    } else {
      if (line.size() >= maxLineBytes) {
        throw new IllegalStateException("event-stream line longer than " + maxLineBytes + " bytes");
      }
      line.write(b);
    }
  }

  private void endLine() {
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (!started) {
      started = true;
      if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
        text = text.substring(1);
      }
    }
    if (text.isEmpty()) {
      dispatch();
      return;
    }
    if (text.charAt(0) == ':') {
      return;
    }
    int colon = text.indexOf(':');
    String field;
    String value;
    if (colon < 0) {
      field = text;
      value = "";
    } else {
      field = text.substring(0, colon);
      int start = colon + 1;
      if (start < text.length() && text.charAt(start) == ' ') {
        start++;
      }
      value = text.substring(start);
    }
    switch (field) {
      case "event":
        eventType = value;
        break;
      case "data":
        if (data.length() + value.length() + 1 > maxLineBytes) {
          throw new IllegalStateException(
              "event-stream event data longer than " + maxLineBytes + " characters");
        }
        data.append(value).append('\n');
        hasData = true;
        break;
      case "id":
        if (value.indexOf('\0') < 0) {
          lastEventId = value;
        }
        break;
      case "retry":
        if (!value.isEmpty()
            && value.length() <= 18
            && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
          retry.accept(Long.parseLong(value));
        }
        break;
      default:
        break;
    }
  }

  private void dispatch() {
    if (!hasData) {
      data.setLength(0);
      eventType = "";
      return;
    }
    String d = data.substring(0, data.length() - 1);
    String type = eventType.isEmpty() ? "message" : eventType;
    data.setLength(0);
    hasData = false;
    eventType = "";
    events.accept(new SseEvent(type, d, lastEventId));
  }
}
