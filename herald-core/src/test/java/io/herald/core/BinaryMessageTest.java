package io.herald.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Binary messages (PROTOCOL.md section 11): the base64 envelope, the WebSocket binary frame, their
 * parsing back, the content type rules, and what a retained binary message costs.
 */
@Timeout(10)
class BinaryMessageTest {
  private static final byte[] EVERY_BYTE = new byte[256];

  static {
    for (int i = 0; i < 256; i++) {
      EVERY_BYTE[i] = (byte) i;
    }
  }

  private static Message binary(byte[] bytes) {
    return Message.create("cam", "k3f9", 18, "frame", bytes, "image/png", 1763700000123L);
  }

  @Test
  void theEnvelopeCarriesPaddedStandardBase64WithEncodingAndContentType() {
    Message m = binary(new byte[] {(byte) 0xfb, (byte) 0xff, 0});
    assertThat(new String(m.envelope(), UTF_8))
        .isEqualTo(
            "{\"channel\":\"cam\",\"offset\":18,\"epoch\":\"k3f9\",\"event\":\"frame\","
                + "\"data\":\"+/8A\",\"encoding\":\"base64\",\"contentType\":\"image/png\","
                + "\"time\":1763700000123}");
    assertThat(new String(binary(new byte[] {1}).envelope(), UTF_8)).contains("\"data\":\"AQ==\"");
    assertThat(new String(m.pushFrame(), UTF_8))
        .startsWith("{\"type\":\"message\",\"channel\":\"cam\",")
        .contains("\"encoding\":\"base64\"");
  }

  @Test
  void theBinaryFrameIsALengthThenTheJsonWithoutDataThenTheBytes() {
    Message m = binary(EVERY_BYTE);
    byte[] frame = m.binaryFrame();
    int n = BinaryFrames.headLength(frame, frame.length);
    assertThat(new String(frame, 4, n, UTF_8))
        .isEqualTo(
            "{\"type\":\"message\",\"channel\":\"cam\",\"offset\":18,\"epoch\":\"k3f9\","
                + "\"event\":\"frame\",\"encoding\":\"binary\",\"contentType\":\"image/png\","
                + "\"time\":1763700000123}");
    assertThat(Arrays.copyOfRange(frame, 4 + n, frame.length)).isEqualTo(EVERY_BYTE);
    assertThat(new String(m.binaryFrameHead(), UTF_8)).isEqualTo(new String(frame, 4, n, UTF_8));
  }

  @Test
  void envelopesAndBinaryFramesParseBackToTheSameBytes() {
    byte[] random = new byte[60 * 1024];
    new Random(1).nextBytes(random);
    for (byte[] bytes : new byte[][] {EVERY_BYTE, random, new byte[0]}) {
      Message m = binary(bytes);
      for (Message back :
          new Message[] {
            Message.parseEnvelope(m.envelope()),
            Message.parseEnvelope(m.pushFrame()),
            Message.parseBinaryFrame(m.binaryFrame())
          }) {
        assertThat(back.isBinary()).isTrue();
        assertThat(back.data()).isEqualTo(bytes);
        assertThat(back.contentType()).isEqualTo("image/png");
        assertThat(back.event()).isEqualTo("frame");
        assertThat(back.position()).isEqualTo(m.position());
        assertThat(back.envelope()).isEqualTo(m.envelope());
      }
    }
  }

  @Test
  void aMalformedBase64EnvelopeIsRefused() {
    String bad =
        "{\"channel\":\"c\",\"offset\":1,\"epoch\":\"e\",\"data\":\"%%%\",\"encoding\":\"base64\","
            + "\"contentType\":\"x/y\"}";
    assertThatThrownBy(() -> Message.parseEnvelope(bad.getBytes(UTF_8)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("not base64");
    String noType = bad.replace(",\"contentType\":\"x/y\"", "").replace("%%%", "AQ==");
    assertThatThrownBy(() -> Message.parseEnvelope(noType.getBytes(UTF_8)))
        .hasMessageContaining("contentType");
    assertThatThrownBy(() -> Message.parseBinaryFrame(new byte[] {0, 0, 0, 9, '{', '}'}))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("N is 9");
  }

  @Test
  void aRetainedBinaryMessageCountsItsRawBytesOnceNotTheirBase64() {
    byte[] bytes = new byte[30_000];
    Message m = binary(bytes);
    assertThat(m.dataSize()).isEqualTo(30_000);
    assertThat(m.retainedBytes())
        .isEqualTo(
            30_000L
                + "image/png".length()
                + Message.OVERHEAD_BYTES
                + Message.BINARY_OVERHEAD_BYTES);
    assertThat(m.envelope().length).as("the base64 envelope is larger").isGreaterThan(40_000);
  }

  @Test
  void theMessageKeepsItsOwnCopyOfTheBytes() {
    byte[] bytes = {1, 2, 3};
    Message m = binary(bytes);
    bytes[0] = 9;
    assertThat(m.data()).containsExactly(1, 2, 3);
    m.data()[1] = 9;
    assertThat(m.data()).containsExactly(1, 2, 3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/octet-stream", "image/png", "audio/ogg; codecs=opus", "x/y"})
  void binaryContentTypesAreAccepted(String type) {
    assertThat(ContentTypes.requireBinary(type)).isEqualTo(type);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "application/json",
        "application/ld+json",
        "text/plain",
        "TEXT/HTML; charset=utf-8",
        "application/x-www-form-urlencoded",
        "",
        "octet-stream",
        "a/b/c",
        "/png",
        "image/",
        "image/p\ng"
      })
  void jsonTextAndMalformedContentTypesAreNotBinary(String type) {
    assertThatThrownBy(() -> ContentTypes.requireBinary(type.replace("\n", "\u0001")))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).code())
        .isEqualTo(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  }

  @Test
  void base64IsTheJdksRfc4648Basic() {
    assertThat(
            new String(binary(EVERY_BYTE).envelope(), UTF_8)
                .contains("\"" + Base64.getEncoder().encodeToString(EVERY_BYTE) + "\""))
        .isTrue();
  }
}
