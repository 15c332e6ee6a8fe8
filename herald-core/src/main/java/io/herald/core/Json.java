package io.herald.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The JSON helpers every layer shares (Jackson underneath): checking that bytes hold exactly one
 * JSON value, and turning a UTF-8 text into a JSON string value. Thread-safe.
 */
public final class Json {
  /** The shared, configured mapper. Thread-safe once configured; do not reconfigure. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  static final JsonFactory FACTORY = MAPPER.getFactory();

  static {
    FACTORY.setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build());
  }

  private Json() {}

  /**
   * Checks that {@code bytes} hold exactly one JSON value in strict UTF-8 (RFC 8259 section 8.1),
   * with nothing but white space around it, and returns it without white space at either end (inner
   * bytes kept as they are).
   *
   * @throws ProtocolException {@code invalid_json} saying where it failed, or that the bytes are
   *     not UTF-8 (Jackson lets overlong forms and encoded surrogates through inside strings, and
   *     takes text with NUL bytes for UTF-16 or UTF-32; none could be delivered byte for byte)
   */
  public static byte[] requireValue(byte[] bytes) {
    try (JsonParser parser = FACTORY.createParser(bytes)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new ProtocolException(
            ErrorCode.INVALID_JSON, "the body is empty; send one JSON value");
      }
      parser.skipChildren();
      if (parser.nextToken() != null) {
        throw new ProtocolException(
            ErrorCode.INVALID_JSON, "the body holds more than one JSON value; send exactly one");
      }
    } catch (IOException e) {
      throw new ProtocolException(
          ErrorCode.INVALID_JSON, "the body is not valid JSON: " + parserMessage(e.getMessage()));
    }
    if (!isUtf8(bytes)) {
      throw new ProtocolException(
          ErrorCode.INVALID_JSON, "the body is not valid UTF-8; JSON must be sent as UTF-8");
    }
    // A UTF-8 byte order mark, which Jackson skips, is dropped like white space (RFC 8259 8.1).
    int start = hasUtf8Bom(bytes) ? 3 : 0;
    int end = bytes.length;
    while (start < end && isSpace(bytes[start])) {
      start++;
    }
    while (end > start && isSpace(bytes[end - 1])) {
      end--;
    }
    if (start == 0 && end == bytes.length) {
      return bytes;
    }
    byte[] trimmed = new byte[end - start];
    System.arraycopy(bytes, start, trimmed, 0, trimmed.length);
    return trimmed;
  }

  /**
   * Decodes strict UTF-8 and encodes it as a JSON string value.
   *
   * @throws ProtocolException {@code invalid_json} when {@code utf8} is not valid UTF-8
   */
  public static byte[] stringValue(byte[] utf8) {
    String text = strictUtf8(utf8);
    if (text == null) {
      throw new ProtocolException(
          ErrorCode.INVALID_JSON, "the body is not valid UTF-8; send UTF-8 text");
    }
    return stringValue(text);
  }

  /**
   * Whether {@code bytes} are UTF-8 that can be JSON text. A NUL byte never can (it would have to
   * be escaped in a string), and it is what Jackson takes for UTF-16 or UTF-32 when it guesses the
   * encoding (found by PublishBodyFuzzTest: {@code 00 22 00 22} passed as UTF-16 {@code ""}).
   */
  static boolean isUtf8(byte[] bytes) {
    boolean ascii = true;
    for (byte b : bytes) {
      if (b == 0) {
        return false;
      }
      ascii &= b > 0;
    }
    return ascii || strictUtf8(bytes) != null; // only non-ASCII input pays for decoding
  }

  private static boolean hasUtf8Bom(byte[] bytes) {
    return bytes.length >= 3
        && bytes[0] == (byte) 0xef
        && bytes[1] == (byte) 0xbb
        && bytes[2] == (byte) 0xbf;
  }

  /** The text of strict UTF-8 {@code bytes}, or {@code null} when they are not. */
  private static String strictUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Encodes {@code text} as a JSON string value, quotes included. */
  public static byte[] stringValue(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 8);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeString(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Writes {@code "name":} followed by the already-encoded JSON value {@code raw}. */
  static void writeRawField(JsonGenerator g, String name, byte[] raw) throws IOException {
    g.writeFieldName(new SerializedString(name));
    g.writeRawValue(new String(raw, StandardCharsets.UTF_8));
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  /**
   * The first line of a parser's message, which may quote the input, as one printable line of at
   * most 200 characters (found by PublishBodyFuzzTest: control characters came through).
   */
  static String parserMessage(String s) {
    if (s == null) {
      return "unexpected input";
    }
    int nl = s.indexOf('\n');
    return Names.printable(nl < 0 ? s : s.substring(0, nl), 200);
  }
}
