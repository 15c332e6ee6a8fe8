package io.herald.server.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.herald.core.ErrorCode;
import io.herald.core.Json;
import io.herald.core.ProtocolException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One WebSocket command (PROTOCOL.md section 7), parsed from a text frame's bytes with Jackson's
 * streaming parser, never through a tree: every top-level field keeps its token type, its text (for
 * scalars) and its exact bytes, so {@code data} is published byte for byte as the client sent it
 * ({@code 1e400}, long decimals and {@code \\u} escapes included), and {@code id} is echoed as it
 * came. Nested values are checked for syntax but not decoded. Unknown fields are ignored; a field
 * given twice counts once, the last one. Adding an optional field to a command is one call to
 * {@link #string(String, ErrorCode)} or {@link #raw(String)} in the transport.
 *
 * <p>Immutable once parsed; not thread-safe to parse concurrently with reads of the same frame.
 */
final class WebSocketCommand {
  /** One top-level field: its first token, its text (scalars only) and its exact bytes. */
  record Field(JsonToken token, String text, byte[] raw) {}

  private final Map<String, Field> fields;
  private final String id;

  private WebSocketCommand(Map<String, Field> fields, String id) {
    this.fields = fields;
    this.id = id;
  }

  /**
   * Parses one frame: exactly one JSON object with a string {@code type}, white space allowed
   * around it.
   *
   * @throws Invalid with {@code invalid_json} when the bytes are not one JSON value, {@code
   *     invalid_request} when it is not an object with a string {@code type}; the exception carries
   *     the {@code id} when it was read before the fault
   */
  static WebSocketCommand parse(byte[] frame) {
    Map<String, Field> fields = new HashMap<>();
    String id = null;
    try (JsonParser p = Json.MAPPER.getFactory().createParser(frame)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new Invalid(
            null,
            new ProtocolException(
                ErrorCode.INVALID_JSON, "the frame is empty; send one JSON object per text frame"));
      }
      if (first != JsonToken.START_OBJECT) {
        p.skipChildren();
        requireEnd(p, null);
        throw new Invalid(null, notACommand());
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        int start = (int) p.currentTokenLocation().getByteOffset();
        String text = null;
        if (value.isStructStart()) {
          p.skipChildren();
        } else {
          text = p.getText();
        }
        int end = (int) p.currentLocation().getByteOffset();
        Field f = new Field(value, text, Arrays.copyOfRange(frame, start, end));
        fields.put(name, f);
        if (name.equals("id")) {
          id =
              value == JsonToken.VALUE_STRING || value.isNumeric()
                  ? new String(f.raw(), StandardCharsets.UTF_8)
                  : null;
        }
      }
      requireEnd(p, id);
    } catch (JsonProcessingException e) {
      throw new Invalid(
          id,
          new ProtocolException(
              ErrorCode.INVALID_JSON,
              "the frame is not valid JSON ("
                  + e.getOriginalMessage()
                  + "); send one JSON object per text frame"));
    } catch (IOException e) {
      throw new Invalid(
          id, new ProtocolException(ErrorCode.INVALID_JSON, "the frame cannot be read as JSON"));
    }
    Field type = fields.get("type");
    if (type == null || type.token() != JsonToken.VALUE_STRING) {
      throw new Invalid(id, notACommand());
    }
    return new WebSocketCommand(fields, id);
  }

  private static void requireEnd(JsonParser p, String id) throws IOException {
    if (p.nextToken() != null) {
      throw new Invalid(
          id,
          new ProtocolException(
              ErrorCode.INVALID_JSON,
              "the frame holds more than one JSON value; send one JSON object per text frame"));
    }
  }

  private static ProtocolException notACommand() {
    return new ProtocolException(
        ErrorCode.INVALID_REQUEST,
        "a command is a JSON object with a string 'type': subscribe, unsubscribe, publish, ping, connect or refresh");
  }

  /** The command's {@code type}, shortened and escaped for an error message or a log line. */
  String printableType() {
    String t = type();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < t.length() && i < 64; i++) {
      char c = t.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return t.length() > 64 ? b.append("...").toString() : b.toString();
  }

  /** The command's {@code type}. */
  String type() {
    return fields.get("type").text();
  }

  /**
   * The {@code id} as its exact JSON text (a number or a quoted string) to echo in the reply, or
   * {@code null} when absent or of another JSON type.
   */
  String id() {
    return id;
  }

  /**
   * A required string field.
   *
   * @throws ProtocolException {@code invalid_request} when absent or not a string
   */
  String requireString(String name) {
    Field f = fields.get(name);
    if (f == null || f.token() != JsonToken.VALUE_STRING) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST, "the command needs '" + name + "' as a string");
    }
    return f.text();
  }

  /**
   * An optional string field: {@code null} when absent or JSON {@code null}.
   *
   * @throws ProtocolException with {@code code} when present with another JSON type
   */
  String string(String name, ErrorCode code) {
    Field f = fields.get(name);
    if (f == null || f.token() == JsonToken.VALUE_NULL) {
      return null;
    }
    if (f.token() != JsonToken.VALUE_STRING) {
      throw new ProtocolException(code, "'" + name + "' must be a string");
    }
    return f.text();
  }

  /** A field as it came, or {@code null} when absent. */
  Field field(String name) {
    return fields.get(name);
  }

  /**
   * The exact bytes of a field's value as the client sent them (one JSON value, no white space at
   * either end), or {@code null} when absent.
   */
  byte[] raw(String name) {
    Field f = fields.get(name);
    return f == null ? null : f.raw();
  }

  /** A frame that is not a command; carries the {@code id} when one was read before the fault. */
  static final class Invalid extends RuntimeException {
    private final String id;
    private final ProtocolException error;

    Invalid(String id, ProtocolException error) {
      super(error.getMessage(), null, false, false);
      this.id = id;
      this.error = error;
    }

    String id() {
      return id;
    }

    ProtocolException error() {
      return error;
    }
  }
}
