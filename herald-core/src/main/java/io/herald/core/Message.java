package io.herald.core;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * One message of a channel's log with its encodings, built once when the message is created and
 * shared by every subscriber (DESIGN.md "encode once"): the {@link #envelope()} (PROTOCOL.md
 * section 2), used by polls and SSE, and the {@link #pushFrame()}, the envelope with {@code
 * "type":"message"} that WebSocket sends. Immutable and thread-safe; the returned arrays must not
 * be modified.
 */
public final class Message {
  private final String channel;
  private final String epoch;
  private final long offset;
  private final String event;
  private final byte[] data;
  private final long time;
  private final byte[] envelope;
  private final byte[] pushFrame;
  private final AtomicReferenceArray<Object> encodings = new AtomicReferenceArray<>(Encoding.MAX);

  private Message(String channel, String epoch, long offset, String event, byte[] data, long time) {
    this.channel = channel;
    this.epoch = epoch;
    this.offset = offset;
    this.event = event;
    this.data = oneLine(data);
    this.time = time;
    this.envelope = encode(false);
    this.pushFrame = encode(true);
  }

  /**
   * Creates a message and encodes it once.
   *
   * @param channel a valid channel name
   * @param epoch the channel's epoch, 1 to 16 of {@code a-z 0-9}
   * @param offset 1 or more
   * @param event a valid event name
   * @param data one JSON value, already checked (see {@link Json#requireValue(byte[])}); line
   *     breaks between its tokens become spaces so that the envelope stays on one line
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
   * Parses an envelope (or a WebSocket push frame) back into a message, for brokers that carry
   * envelopes between nodes and for clients. The {@code data} value is taken byte for byte as it
   * appears in {@code json} (no re-encoding of numbers, strings or white space), so a message
   * parsed from an envelope has that very envelope again. Fields may come in any order; unknown
   * fields (such as {@code type}) are ignored; a missing {@code event} means {@link
   * Names#DEFAULT_EVENT} and a missing {@code time} means 0.
   *
   * @throws ProtocolException {@code invalid_json} when the bytes are not an envelope
   */
  public static Message parseEnvelope(byte[] json) {
    String channel = null;
    String epoch = null;
    long offset = -1;
    String event = Names.DEFAULT_EVENT;
    byte[] data = null;
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
          case "data" -> {
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
    if (channel == null || epoch == null || offset < 1 || event == null || data == null) {
      throw notAnEnvelope(
          json, "it needs channel, epoch and event as strings, offset 1 or more, and data");
    }
    try {
      return create(channel, epoch, offset, event, data, time);
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
   * The data with every CR and LF byte turned into a space, so the envelope stays on one line (an
   * SSE {@code data:} line). In valid JSON these bytes can only be white space between tokens
   * (inside strings they must be escaped), so the value means the same. Copies only when needed.
   */
  private static byte[] oneLine(byte[] data) {
    byte[] out = data;
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '\n' || data[i] == '\r') {
        if (out == data) {
          out = data.clone();
        }
        out[i] = ' ';
      }
    }
    return out;
  }

  private byte[] encode(boolean push) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + channel.length() + 96);
    try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
      g.writeStartObject();
      if (push) {
        g.writeStringField("type", "message");
      }
      g.writeStringField("channel", channel);
      g.writeNumberField("offset", offset);
      g.writeStringField("epoch", epoch);
      g.writeStringField("event", event);
      Json.writeRawField(g, "data", data);
      g.writeNumberField("time", time);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
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

  /** The data, one JSON value as UTF-8 bytes. Do not modify. */
  public byte[] data() {
    return data;
  }

  /** When the server accepted the publication, in milliseconds since the Unix epoch. */
  public long time() {
    return time;
  }

  /** The position right after this message: {@code epoch:offset}. */
  public Position position() {
    return new Position(epoch, offset);
  }

  /** The envelope, UTF-8 JSON on one line. Shared; do not modify. */
  public byte[] envelope() {
    return envelope;
  }

  /**
   * The WebSocket push frame payload: the envelope with {@code "type":"message"}. Shared; do not
   * modify.
   */
  public byte[] pushFrame() {
    return pushFrame;
  }

  /** The size of the data in bytes. */
  public int dataSize() {
    return data.length;
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
    Object v = encodings.get(encoding.index);
    if (v == null) {
      v = Objects.requireNonNull(encoding.encoder.apply(this), "encoding");
      if (!encodings.compareAndSet(encoding.index, null, v)) {
        v = encodings.get(encoding.index);
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
    return new String(envelope, StandardCharsets.UTF_8);
  }
}
