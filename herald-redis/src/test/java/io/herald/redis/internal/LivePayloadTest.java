package io.herald.redis.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.core.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class LivePayloadTest {
  @Test
  void parsesEpochOffsetTimeEventAndDataWithLineBreaks() {
    byte[] payload =
        ("k3f9\n" // epoch
                + "18\n" // offset
                + "1763700000123\n" // time, ms
                + "price-tick\n" // event
                + "{\"a\":\n[1,\n2]}")
            .getBytes(UTF_8); // data: the rest, line breaks and all
    Message m = LivePayload.parse("prices", payload);
    assertThat(m.channel()).isEqualTo("prices");
    assertThat(m.epoch()).isEqualTo("k3f9");
    assertThat(m.offset()).isEqualTo(18);
    assertThat(m.time()).isEqualTo(1763700000123L);
    assertThat(m.event()).isEqualTo("price-tick");
    // The data is everything after the fourth line break, as the publisher's Message had it.
    Message published =
        Message.create(
            "prices",
            "k3f9",
            18,
            "price-tick",
            "{\"a\":\n[1,\n2]}".getBytes(UTF_8),
            1763700000123L);
    assertThat(m.data()).isEqualTo(published.data());
    assertThat(m.envelope()).isEqualTo(published.envelope());
  }

  @Test
  void buildsTheSameEnvelopeAsThePublisher() {
    byte[] data = "{\"s\":\"é ✓\"}".getBytes(UTF_8);
    Message published = Message.create("chat:lobby", "ab12", 7, "message", data, 1763700000999L);
    byte[] payload =
        ("ab12\n7\n1763700000999\nmessage\n" + new String(data, UTF_8)).getBytes(UTF_8);
    assertThat(LivePayload.parse("chat:lobby", payload).envelope()).isEqualTo(published.envelope());
  }

  @Test
  void rejectsATruncatedPayload() {
    assertThatThrownBy(() -> LivePayload.parse("c", "ab12\n7\n".getBytes(UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("malformed live payload on c");
  }

  @Test
  void aBinaryMessageCarriesItsContentTypeAfterTheEventAndEveryByteAfterTheFourthLineBreak() {
    byte[] bytes = new byte[256];
    for (int i = 0; i < 256; i++) {
      bytes[i] = (byte) i; // line breaks, NUL, invalid UTF-8: all must pass through
    }
    String field = LivePayload.eventField("frame", "audio/ogg; codecs=opus");
    assertThat(field).isEqualTo("frame audio/ogg; codecs=opus");
    assertThat(LivePayload.eventField("frame", null)).isEqualTo("frame");
    byte[] head = ("k3f9\n5\n1763700000123\n" + field + "\n").getBytes(UTF_8);
    byte[] payload = new byte[head.length + bytes.length];
    System.arraycopy(head, 0, payload, 0, head.length);
    System.arraycopy(bytes, 0, payload, head.length, bytes.length);
    Message m = LivePayload.parse("cam", payload);
    assertThat(m.isBinary()).isTrue();
    assertThat(m.event()).isEqualTo("frame");
    assertThat(m.contentType()).isEqualTo("audio/ogg; codecs=opus");
    assertThat(m.data()).isEqualTo(bytes);
    Message fromHistory = LivePayload.message("cam", "k3f9", 5, field, bytes, 1763700000123L);
    assertThat(fromHistory.envelope()).isEqualTo(m.envelope());
  }
}
