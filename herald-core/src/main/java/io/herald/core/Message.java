package io.herald.core;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Function;

/**
 * One message of a channel's log. It holds its bytes once. A JSON message holds its {@link
 * #envelope()} (PROTOCOL.md section 2), whose {@code data} value is the published data byte for
 * byte; the WebSocket {@link #pushFrame()} and the data are derived from it. A binary message
 * (section 11, {@link #isBinary()}) holds its raw bytes and {@link #contentType()}; its JSON
 * envelope (the bytes in standard base64 with {@code "encoding":"base64"}) and its WebSocket {@link
 * #binaryFrame()} are derived from them on demand. Transport wire forms ({@link #encoded}) are
 * built on first delivery and then shared by every subscriber (DESIGN.md "encode once"); they go
 * when the message does. Immutable and thread-safe; the returned arrays must not be modified.
 */
public final class Message {
  /**
   * Heap bytes a retained message costs beyond its envelope (this object, the array header, a slot
   * in each log), measured with {@code HeapPerMessage}; what history budgets charge on top of the
   * envelope's length.
   */
  public static final int OVERHEAD_BYTES = 96;

  /**
   * Heap bytes a retained binary message costs beyond {@link #OVERHEAD_BYTES}, its raw bytes and
   * its content type's characters: the content type's {@code String} and array headers.
   */
  static final int BINARY_OVERHEAD_BYTES = 40;

  /**
   * The {@code encoding} of a binary message's data in a JSON envelope (PROTOCOL.md section 11).
   */
  public static final String BASE64 = "base64";

  /** The {@code encoding} in the JSON head of a WebSocket binary frame (PROTOCOL.md section 11). */
  public static final String BINARY = "binary";

  private static final byte[] PUSH_PREFIX =
      "{\"type\":\"message\",".getBytes(StandardCharsets.UTF_8);
  private static final VarHandle ENCODINGS;
  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
  private static final AtomicIntegerFieldUpdater<Message> RETAINERS =
      AtomicIntegerFieldUpdater.newUpdater(Message.class, "retainers");

  static {
    try {
      ENCODINGS = MethodHandles.lookup().findVarHandle(Message.class, "encodings", Object[].class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String channel;
  private final String epoch;
  private final long offset;
  private final String event;
  private final long time;
  private final byte[] envelope; // a JSON message's envelope; null for a binary message
  private final int dataStart;
  private final int dataLength;
  private final byte[] bytes; // a binary message's raw bytes; null for a JSON message
  private final String contentType; // a binary message's content type; null for a JSON message
  private volatile Object[] encodings; // allocated on first encoded()
  private volatile int retainers; // how many logs retain it; see retain()

  private Message(String channel, String epoch, long offset, String event, byte[] data, long time) {
    this.channel = channel;
    this.epoch = epoch;
    this.offset = offset;
    this.event = Names.DEFAULT_EVENT.equals(event) ? Names.DEFAULT_EVENT : event;
    this.time = time;
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + channel.length() + 96);
    int start;
    try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("channel", channel);
      g.writeNumberField("offset", offset);
      g.writeStringField("epoch", epoch);
      g.writeStringField("event", event);
      g.writeFieldName("data");
      g.writeRawValue(""); // writes the ':'; the data goes straight to the stream, byte for byte
      g.flush();
      start = out.size();
      writeOneLine(data, out);
      g.writeNumberField("time", time);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.envelope = out.toByteArray();
    this.dataStart = start;
    this.dataLength = data.length;
    this.bytes = null;
    this.contentType = null;
  }

  private Message(
      String channel,
      String epoch,
      long offset,
      String event,
      String contentType,
      byte[] bytes,
      long time) {
    this.channel = channel;
    this.epoch = epoch;
    this.offset = offset;
    this.event = Names.DEFAULT_EVENT.equals(event) ? Names.DEFAULT_EVENT : event;
    this.time = time;
    this.envelope = null;
    this.dataStart = 0;
    this.dataLength = bytes.length;
    this.bytes = bytes.clone();
    this.contentType = contentType;
  }

  /**
   * Creates a message and encodes its envelope once.
   *
   * @param channel a valid channel name
   * @param epoch the channel's epoch, 1 to 16 of {@code a-z 0-9}
   * @param offset 1 or more
   * @param event a valid event name
   * @param data one JSON value, already checked (see {@link Json#requireValue(byte[])}); line
   *     breaks between its tokens become spaces so that the envelope stays on one line. Copied: the
   *     caller may reuse the array.
   * @param time when the publication was accepted, milliseconds since the Unix epoch
   */
  public static Message create(
      String channel, String epoch, long offset, String event, byte[] data, long time) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(data, "data");
    if (!Position.isEpoch(epoch)) {
      throw new IllegalArgumentException("bad epoch '" + epoch + "'");
    }
    if (offset < 1) {
      throw new IllegalArgumentException("offset must be 1 or more, got " + offset);
    }
    return new Message(channel, epoch, offset, event, data, time);
  }

  /**
   * Creates a JSON message ({@code contentType} null, as {@link #create(String, String, long,
   * String, byte[], long)}) or a binary one (PROTOCOL.md section 11).
   *
   * @param contentType {@code null} for a JSON message; else the binary message's content type,
   *     checked by {@link ContentTypes#requireBinary} (printable ASCII, no line breaks)
   * @param data one checked JSON value, or the raw bytes of a binary message (any bytes, copied)
   */
  public static Message create(
      String channel,
      String epoch,
      long offset,
      String event,
      byte[] data,
      String contentType,
      long time) {
    if (contentType == null) {
      return create(channel, epoch, offset, event, data, time);
    }
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(data, "data");
    if (!Position.isEpoch(epoch)) {
      throw new IllegalArgumentException("bad epoch '" + epoch + "'");
    }
    if (offset < 1) {
      throw new IllegalArgumentException("offset must be 1 or more, got " + offset);
    }
    return new Message(channel, epoch, offset, event, contentType, data, time);
  }

  /**
   * Parses an envelope (or a WebSocket push frame) back into a message, for brokers that carry
   * envelopes between nodes and for clients. The {@code data} value is taken byte for byte as it
   * appears in {@code json} (no re-encoding of numbers, strings or white space), so a message
   * parsed from an envelope has that very envelope again. Fields may come in any order; unknown
   * fields (such as {@code type}) are ignored; a missing {@code event} means {@link
   * Names#DEFAULT_EVENT} and a missing {@code time} means 0. An envelope with {@code
   * "encoding":"base64"} is a binary message: its {@code data} string is decoded (RFC 4648 section
   * 4) and its {@code contentType} kept.
   *
   * @throws ProtocolException {@code invalid_json} when the bytes are not an envelope
   */
  public static Message parseEnvelope(byte[] json) {
    return parseEnvelope(json, null);
  }

  /**
   * Parses a WebSocket binary frame of a binary message (PROTOCOL.md section 11): 4 bytes
   * big-endian N, N bytes of the envelope as JSON without {@code data} (with {@code
   * "encoding":"binary"} and {@code contentType}), then the raw bytes.
   *
   * @throws ProtocolException {@code invalid_json} when the bytes are not such a frame
   */
  public static Message parseBinaryFrame(byte[] frame) {
    int n = BinaryFrames.headLength(frame, frame.length);
    byte[] head = Arrays.copyOfRange(frame, 4, 4 + n);
    byte[] raw = Arrays.copyOfRange(frame, 4 + n, frame.length);
    return parseEnvelope(head, raw);
  }

  private static Message parseEnvelope(byte[] json, byte[] raw) {
    String channel = null;
    String epoch = null;
    long offset = -1;
    String event = Names.DEFAULT_EVENT;
    byte[] data = null;
    String dataText = null;
    String encoding = null;
    String contentType = null;
    long time = 0;
    if (!Json.isUtf8(json)) { // else Jackson may read UTF-16, and byte offsets mean nothing
      throw notAnEnvelope(json, "not UTF-8 JSON text");
    }
    try (JsonParser p = Json.FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw notAnEnvelope(json, "not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "channel" -> channel = value == JsonToken.VALUE_STRING ? p.getText() : null;
          case "epoch" -> epoch = value == JsonToken.VALUE_STRING ? p.getText() : null;
          case "event" -> event = value == JsonToken.VALUE_STRING ? p.getText() : null;
          case "offset" -> offset = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
          case "time" -> time = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : 0;
          case "encoding" -> encoding = value == JsonToken.VALUE_STRING ? p.getText() : "?";
          case "contentType" -> contentType = value == JsonToken.VALUE_STRING ? p.getText() : null;
          case "data" -> {
            dataText = value == JsonToken.VALUE_STRING ? p.getText() : null;
            int start = (int) p.currentTokenLocation().getByteOffset();
            if (value.isStructStart()) {
              p.skipChildren();
            } else {
              p.finishToken();
            }
            int end = (int) p.currentLocation().getByteOffset();
            data = Arrays.copyOfRange(json, start, end);
          }
          default -> p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw notAnEnvelope(json, "more than one JSON value");
      }
    } catch (IOException e) {
      throw notAnEnvelope(
          json,
          Json.parserMessage(
              e instanceof JsonProcessingException jpe
                  ? jpe.getOriginalMessage()
                  : e.getMessage()));
    }
    if (raw != null) {
      if (!BINARY.equals(encoding) || data != null) {
        throw notAnEnvelope(
            json, "a binary frame's JSON needs \"encoding\":\"binary\" and no data");
      }
      data = raw;
    } else if (encoding != null) {
      if (!BASE64.equals(encoding) || dataText == null) {
        throw notAnEnvelope(json, "encoding must be \"base64\", with data a base64 string");
      }
      try {
        data = Base64.getDecoder().decode(dataText);
      } catch (IllegalArgumentException e) {
        throw notAnEnvelope(
            json, "data is not base64 (" + Json.parserMessage(e.getMessage()) + ")");
      }
    }
    if (channel == null || epoch == null || offset < 1 || event == null || data == null) {
      throw notAnEnvelope(
          json, "it needs channel, epoch and event as strings, offset 1 or more, and data");
    }
    if (encoding != null && contentType == null) {
      throw notAnEnvelope(json, "a binary message needs its contentType as a string");
    }
    try {
      return create(
          channel, epoch, offset, event, data, encoding == null ? null : contentType, time);
    } catch (IllegalArgumentException e) {
      throw notAnEnvelope(json, Json.parserMessage(e.getMessage()));
    }
  }

  private static ProtocolException notAnEnvelope(byte[] json, String why) {
    String text = new String(json, 0, Math.min(json.length, 200), StandardCharsets.UTF_8);
    return new ProtocolException(
        ErrorCode.INVALID_JSON, "not a Herald envelope (" + why + "): " + Names.printable(text));
  }

  /**
   * Writes the data with every CR and LF byte turned into a space, so the envelope stays on one
   * line (an SSE {@code data:} line). In valid JSON these bytes can only be white space between
   * tokens (inside strings they must be escaped), so the value means the same.
   */
  private static void writeOneLine(byte[] data, ByteArrayOutputStream out) {
    int from = 0;
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '\n' || data[i] == '\r') {
        out.write(data, from, i - from);
        out.write(' ');
        from = i + 1;
      }
    }
    out.write(data, from, data.length - from);
  }

  /** The channel name. */
  public String channel() {
    return channel;
  }

  /** The channel's epoch when the message was published. */
  public String epoch() {
    return epoch;
  }

  /** The message's offset in its epoch, 1 or more. */
  public long offset() {
    return offset;
  }

  /** The event name; {@code message} by default. */
  public String event() {
    return event;
  }

  /**
   * The data as published, copied on each call (the message keeps its bytes once): for a JSON
   * message one JSON value as UTF-8 bytes (the envelope's {@code data} value), for a binary message
   * its raw bytes.
   */
  public byte[] data() {
    if (bytes != null) {
      return bytes.clone();
    }
    return Arrays.copyOfRange(envelope, dataStart, dataStart + dataLength);
  }

  /** Whether this is a binary message (PROTOCOL.md section 11): raw bytes with a content type. */
  public boolean isBinary() {
    return bytes != null;
  }

  /** A binary message's content type, such as {@code image/png}; {@code null} for JSON data. */
  public String contentType() {
    return contentType;
  }

  /** When the server accepted the publication, in milliseconds since the Unix epoch. */
  public long time() {
    return time;
  }

  /** The position right after this message: {@code epoch:offset}. */
  public Position position() {
    return new Position(epoch, offset);
  }

  /**
   * The envelope, UTF-8 JSON on one line. A JSON message's is shared: do not modify. A binary
   * message's ({@code data} the standard base64 of the bytes, RFC 4648 section 4, padded, then
   * {@code "encoding":"base64"} and {@code contentType}) is built on each call and owned by the
   * caller; transports use an {@link #encoded} form, built once.
   */
  public byte[] envelope() {
    if (bytes == null) {
      return envelope;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 4 / 3 + 200);
    try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
      g.writeStartObject();
      writeHead(g);
      g.writeFieldName("data");
      g.writeRawValue(""); // the ':'; then the base64 text, which needs no JSON escaping
      g.flush();
      out.write('"');
      out.write(Base64.getEncoder().encode(bytes));
      out.write('"');
      writeTail(g, BASE64);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * The WebSocket binary frame payload of a binary message (PROTOCOL.md section 11): 4 bytes
   * big-endian N, N bytes of {@link #binaryFrameHead()}, then the raw bytes. Built on each call;
   * the caller owns the array.
   *
   * @throws IllegalStateException for a JSON message
   */
  public byte[] binaryFrame() {
    byte[] head = binaryFrameHead();
    byte[] frame = new byte[4 + head.length + bytes.length];
    BinaryFrames.writeLength(frame, 0, head.length);
    System.arraycopy(head, 0, frame, 4, head.length);
    System.arraycopy(bytes, 0, frame, 4 + head.length, bytes.length);
    return frame;
  }

  /**
   * The JSON of a binary message's WebSocket binary frame (PROTOCOL.md section 11): the envelope
   * without {@code data}, with {@code "type":"message"} first and {@code "encoding":"binary"} and
   * {@code contentType}. Built on each call; the caller owns the array.
   *
   * @throws IllegalStateException for a JSON message
   */
  public byte[] binaryFrameHead() {
    if (bytes == null) {
      throw new IllegalStateException("a JSON message has no binary frame");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(200);
    try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("type", "message");
      writeHead(g);
      writeTail(g, BINARY);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private void writeHead(JsonGenerator g) throws IOException {
    g.writeStringField("channel", channel);
    g.writeNumberField("offset", offset);
    g.writeStringField("epoch", epoch);
    g.writeStringField("event", event);
  }

  private void writeTail(JsonGenerator g, String encoding) throws IOException {
    g.writeStringField("encoding", encoding);
    g.writeStringField("contentType", contentType);
    g.writeNumberField("time", time);
  }

  /**
   * Writes a binary message's raw bytes to {@code out}, without a copy on the heap.
   *
   * @throws IllegalStateException for a JSON message
   */
  public void writeBytes(java.nio.ByteBuffer out) {
    if (bytes == null) {
      throw new IllegalStateException("a JSON message has no raw bytes");
    }
    out.put(bytes);
  }

  /**
   * The WebSocket push frame payload: the envelope with {@code "type":"message"} as its first
   * field. Built on each call (transports use an {@link #encoded} form, built once); the caller
   * owns the array.
   */
  public byte[] pushFrame() {
    byte[] env = envelope(); // once: a binary message's is built (base64) on each call
    byte[] frame = new byte[PUSH_PREFIX.length + env.length - 1];
    writePushFrame(env, frame, 0);
    return frame;
  }

  /** The length of {@link #pushFrame()} in bytes (for a binary message, builds its envelope). */
  public int pushFrameSize() {
    return PUSH_PREFIX.length + envelope().length - 1;
  }

  /**
   * Writes {@link #pushFrame()} into {@code dst} at {@code at}, without an intermediate array.
   *
   * @throws IndexOutOfBoundsException when {@code dst} has less than {@link #pushFrameSize()} bytes
   *     from {@code at}
   */
  public void writePushFrame(byte[] dst, int at) {
    writePushFrame(envelope(), dst, at);
  }

  private static void writePushFrame(byte[] env, byte[] dst, int at) {
    System.arraycopy(PUSH_PREFIX, 0, dst, at, PUSH_PREFIX.length);
    System.arraycopy(env, 1, dst, at + PUSH_PREFIX.length, env.length - 1);
  }

  /** The size of the data in bytes: the JSON value's, or a binary message's raw bytes. */
  public int dataSize() {
    return dataLength;
  }

  /**
   * About how many heap bytes this message costs while retained: its envelope plus {@link
   * #OVERHEAD_BYTES}; for a binary message its raw bytes (once, not their base64) and content type
   * plus {@link #OVERHEAD_BYTES} and {@value #BINARY_OVERHEAD_BYTES}. What history byte budgets
   * count; the wire forms built on delivery (direct memory) are not included.
   */
  public long retainedBytes() {
    if (bytes != null) {
      return bytes.length + (long) contentType.length() + OVERHEAD_BYTES + BINARY_OVERHEAD_BYTES;
    }
    return envelope.length + (long) OVERHEAD_BYTES;
  }

  /** One more log retains this message; returns how many do now. */
  int retain() {
    return RETAINERS.incrementAndGet(this);
  }

  /** One log fewer retains this message; returns how many still do. */
  int release() {
    return RETAINERS.decrementAndGet(this);
  }

  /**
   * This message in a transport's own wire form (a whole WebSocket frame, a whole SSE event),
   * computed on first use and then shared by every subscriber of that transport, so no transport
   * encodes per subscriber. Thread-safe: two threads may both compute it the first time; one result
   * is kept, so {@code encoding}'s function must give equal results for the same message.
   *
   * @param encoding the transport's encoding, one of at most {@value Encoding#MAX} per process
   * @return the encoded form; never {@code null}
   */
  @SuppressWarnings("unchecked")
  public <T> T encoded(Encoding<T> encoding) {
    Object[] all = encodings;
    if (all == null) {
      Object[] fresh = new Object[Encoding.MAX];
      all = ENCODINGS.compareAndSet(this, null, fresh) ? fresh : encodings;
    }
    Object v = SLOT.getVolatile(all, encoding.index);
    if (v == null) {
      v = Objects.requireNonNull(encoding.encoder.apply(this), "encoding");
      Object witness = SLOT.compareAndExchange(all, encoding.index, null, v);
      if (witness != null) {
        v = witness;
      }
    }
    return (T) v;
  }

  /**
   * A way to encode messages for one transport, registered once per process (as a constant). Core
   * knows nothing of the wire forms; the server defines them.
   *
   * @param <T> the encoded type, for example a Netty buffer
   */
  public static final class Encoding<T> {
    /** The most encodings a process may register. */
    public static final int MAX = 8;

    private static final AtomicInteger COUNT = new AtomicInteger();
    final int index;
    final Function<Message, T> encoder;

    /**
     * @param encoder builds the encoded form from a message; must not block
     * @throws IllegalStateException past {@value #MAX} encodings in one process
     */
    public Encoding(Function<Message, T> encoder) {
      this.index = COUNT.getAndIncrement();
      if (index >= MAX) {
        throw new IllegalStateException("at most " + MAX + " message encodings per process");
      }
      this.encoder = Objects.requireNonNull(encoder, "encoder");
    }
  }

  @Override
  public String toString() {
    return new String(envelope(), StandardCharsets.UTF_8);
  }
}
