package io.herald.core;

import static io.herald.core.FuzzChecks.parsedOrRefused;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes what a publication's bytes go through before they are a {@link Message}: a JSON body
 * ({@link Json#requireValue}), a text body ({@link Json#stringValue(byte[])}), and an envelope
 * coming back from a broker ({@link Message#parseEnvelope}). Bad bytes fail only with {@code
 * invalid_json}; good bytes are delivered byte for byte (PROTOCOL.md section 2) and envelopes
 * round-trip. Without {@code JAZZER_FUZZ} it replays the committed inputs in {@code
 * src/test/resources/io/herald/core/PublishBodyFuzzTestInputs/}.
 */
@Timeout(30)
class PublishBodyFuzzTest {
  private static final byte[] DATA_FIELD = "\"data\":".getBytes(StandardCharsets.UTF_8);

  @FuzzTest(maxDuration = "10s")
  void jsonBodiesAreOneValueDeliveredByteForByteOrInvalidJson(byte[] body) throws IOException {
    byte[] value = parsedOrRefused(() -> Json.requireValue(body), ErrorCode.INVALID_JSON);
    if (value == null) {
      return;
    }
    assertThat(strictUtf8(value)).as("accepted JSON must be UTF-8 text").isNotNull();
    JsonNode tree = Json.MAPPER.readTree(value);
    assertThat(tree).isNotNull();
    assertThat(Json.requireValue(value)).isEqualTo(value);
    Message m = Message.create("fuzz", "e1", 1, "message", value, 0);
    byte[] oneLine = m.data();
    assertThat(Json.MAPPER.readTree(oneLine)).isEqualTo(tree);
    assertDeliveredAsIs(m, oneLine);
  }

  @FuzzTest(maxDuration = "10s")
  void textBodiesBecomeTheSameTextAsAJsonStringOrInvalidJson(byte[] body) throws IOException {
    byte[] value = parsedOrRefused(() -> Json.stringValue(body), ErrorCode.INVALID_JSON);
    String text = strictUtf8(body);
    if (value == null) {
      assertThat(text).as("refused text that is valid UTF-8").isNull();
      return;
    }
    assertThat(text).isNotNull();
    JsonNode tree = Json.MAPPER.readTree(value);
    assertThat(tree.isTextual()).isTrue();
    assertThat(tree.textValue()).isEqualTo(text);
    assertThat(Json.requireValue(value)).isEqualTo(value);
    assertDeliveredAsIs(Message.create("fuzz", "e1", 1, "message", value, 0), value);
  }

  @FuzzTest(maxDuration = "10s")
  void envelopesParseBackToTheSameEnvelopeOrInvalidJson(byte[] json) {
    Message m = parsedOrRefused(() -> Message.parseEnvelope(json), ErrorCode.INVALID_JSON);
    if (m == null) {
      return;
    }
    assertThat(m.offset()).isPositive();
    assertThat(Position.isEpoch(m.epoch())).isTrue();
    assertThat(Json.requireValue(m.data())).isEqualTo(m.data());
    assertDeliveredAsIs(m, m.data());
  }

  /**
   * The envelope and push frame are one line, hold {@code data} byte for byte, and parse back to
   * the same message.
   */
  private static void assertDeliveredAsIs(Message m, byte[] data) {
    for (byte[] wire : new byte[][] {m.envelope(), m.pushFrame()}) {
      assertThat(wire).doesNotContain((byte) '\n', (byte) '\r');
      assertThat(indexOf(wire, concat(DATA_FIELD, data)))
          .as("data delivered byte for byte")
          .isNotNegative();
      Message back = Message.parseEnvelope(wire);
      assertThat(back.envelope()).isEqualTo(m.envelope());
      assertThat(back.data()).isEqualTo(m.data());
      assertThat(back.channel()).isEqualTo(m.channel());
      assertThat(back.event()).isEqualTo(m.event());
      assertThat(back.position()).isEqualTo(m.position());
      assertThat(back.time()).isEqualTo(m.time());
    }
  }

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

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
