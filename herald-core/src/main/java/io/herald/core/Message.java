package io.herald.core;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One message of a channel's log with its encodings, built once when the message is created and
 * shared by every subscriber (DESIGN.md "encode once"): the {@link #envelope()} (PROTOCOL.md
 * section 2), used by polls and SSE, and the {@link #pushFrame()}, the envelope with {@code
 * "type":"message"} that WebSocket sends. Immutable and thread-safe; the returned arrays must not be
 * modified.
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

  private Message(String channel, String epoch, long offset, String event, byte[] data, long time) {
    this.channel = channel;
    this.epoch = epoch;
    this.offset = offset;
    this.event = event;
    this.data = data;
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
   * @param data one JSON value, already checked (see {@link Json#requireValue(byte[])})
   * @param time when the publication was accepted, milliseconds since the Unix epoch
   */
  public static Message create(String channel, String epoch, long offset, String event, byte[] data, long time) {
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
   * envelopes between nodes and for clients.
   *
   * @throws ProtocolException {@code invalid_json} when the bytes are not an envelope
   */
  public static Message parseEnvelope(byte[] json) {
    try {
      JsonNode node = Json.MAPPER.readTree(json);
      JsonNode data = node.get("data");
      if (data == null || !node.path("channel").isTextual() || !node.path("epoch").isTextual()
          || !node.path("offset").canConvertToLong()) {
        throw new ProtocolException(ErrorCode.INVALID_JSON, "not a Herald envelope: " + new String(json, StandardCharsets.UTF_8));
      }
      return create(
          node.get("channel").asText(),
          node.get("epoch").asText(),
          node.get("offset").asLong(),
          node.path("event").asText(Names.DEFAULT_EVENT),
          Json.MAPPER.writeValueAsBytes(data),
          node.path("time").asLong());
    } catch (IOException e) {
      throw new ProtocolException(ErrorCode.INVALID_JSON, "not a Herald envelope: " + e.getMessage());
    }
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

  /** The WebSocket push frame payload: the envelope with {@code "type":"message"}. Shared; do not modify. */
  public byte[] pushFrame() {
    return pushFrame;
  }

  /** The size of the data in bytes. */
  public int dataSize() {
    return data.length;
  }

  @Override
  public String toString() {
    return new String(envelope, StandardCharsets.UTF_8);
  }
}
