package io.herald.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The envelope (PROTOCOL.md section 2), the WebSocket push frame, and the JSON helpers. */
@Timeout(10)
class MessageTest {
  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, UTF_8);
  }

  private static ErrorCode codeOf(Runnable r) {
    try {
      r.run();
    } catch (ProtocolException e) {
      return e.code();
    }
    throw new AssertionError("expected a ProtocolException");
  }

  // ---- envelope ----

  @Test
  void theEnvelopeIsExactlyTheProtocolShape() {
    Message m =
        Message.create(
            "prices",
            "k3f9",
            18,
            "message",
            utf8("{\"sym\":\"BTC\",\"px\":42000}"),
            1763700000123L);
    assertThat(text(m.envelope()))
        .isEqualTo(
            "{\"channel\":\"prices\",\"offset\":18,\"epoch\":\"k3f9\",\"event\":\"message\","
                + "\"data\":{\"sym\":\"BTC\",\"px\":42000},\"time\":1763700000123}");
  }

  @Test
  void thePushFrameIsTheEnvelopeWithTypeMessageFirst() {
    Message m = Message.create("prices", "k3f9", 18, "tick", utf8("[1,2]"), 5);
    assertThat(text(m.pushFrame()))
        .isEqualTo(
            "{\"type\":\"message\",\"channel\":\"prices\",\"offset\":18,\"epoch\":\"k3f9\",\"event\":\"tick\","
                + "\"data\":[1,2],\"time\":5}");
  }

  @Test
  void theEnvelopeIsEncodedOnceAndShared() {
    Message m = Message.create("c", "e", 1, "message", utf8("1"), 0);
    assertThat(m.envelope()).isSameAs(m.envelope());
    assertThat(m.pushFrame()).isEqualTo(m.pushFrame());
  }

  @Test
  void keepsTheBytesOnceAndDerivesDataAndPushFrameFromTheEnvelope() {
    byte[] data = utf8("{\"a\":\n1.50}");
    Message m = Message.create("c", "e", 1, "message", data, 7);
    data[1] = 'X'; // the caller's array is not kept
    assertThat(text(m.data())).isEqualTo("{\"a\": 1.50}");
    assertThat(m.dataSize()).isEqualTo(data.length);
    assertThat(m.pushFrameSize()).isEqualTo(m.pushFrame().length);
    byte[] into = new byte[m.pushFrameSize() + 2];
    m.writePushFrame(into, 1);
    assertThat(Arrays.copyOfRange(into, 1, into.length - 1)).isEqualTo(m.pushFrame());
    assertThat(m.retainedBytes()).isEqualTo(m.envelope().length + (long) Message.OVERHEAD_BYTES);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1",
        "-0.5e-3",
        "\"text\"",
        "true",
        "false",
        "null",
        "[]",
        "{}",
        "\"\\u00e9 \\\" \\\\ \\n\"",
        "{\"a\": [1, 2, {\"b\": null}]}",
        "123456789012345678901234567890.123456789",
        "\"é✓😀\""
      })
  void anyJsonValueIsCarriedAsDataByteForByte(String data) {
    Message m = Message.create("c", "e", 1, "message", utf8(data), 0);
    assertThat(text(m.envelope())).contains("\"data\":" + data + ",\"time\":0}");
    JsonNode parsed = readTree(m.envelope());
    assertThat(parsed.get("data")).isEqualTo(readTree(utf8(data)));
  }

  @Test
  void theEnvelopeStaysOnOneLineWhenTheDataHasLineBreaksBetweenTokens() {
    Message m =
        Message.create("c", "e", 1, "message", utf8("{\r\n  \"a\": 1,\n  \"b\": \"x\\ny\"\n}"), 0);
    assertThat(text(m.envelope())).doesNotContain("\n").doesNotContain("\r");
    assertThat(readTree(m.envelope()).get("data"))
        .isEqualTo(readTree(utf8("{\"a\":1,\"b\":\"x\\ny\"}")));
  }

  @Test
  void positionIsEpochColonOffset() {
    Message m = Message.create("c", "k3f9", 18, "message", utf8("1"), 0);
    assertThat(m.position()).isEqualTo(new Position("k3f9", 18));
    assertThat(m.dataSize()).isEqualTo(1);
  }

  @Test
  void createRejectsABadEpochOrOffset() {
    assertThatThrownBy(() -> Message.create("c", "K3F9", 1, "message", utf8("1"), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Message.create("c", "k3f9", 0, "message", utf8("1"), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- parseEnvelope ----

  @Test
  void parseEnvelopeRoundTripsEveryField() {
    Message m =
        Message.create(
            "chat:lobby",
            "ab12",
            40,
            "chat.line",
            utf8("{\"who\":\"ann\",\"n\":1.50}"),
            1763700000123L);
    Message back = Message.parseEnvelope(m.envelope());
    assertThat(back.channel()).isEqualTo("chat:lobby");
    assertThat(back.epoch()).isEqualTo("ab12");
    assertThat(back.offset()).isEqualTo(40);
    assertThat(back.event()).isEqualTo("chat.line");
    assertThat(text(back.data())).isEqualTo("{\"who\":\"ann\",\"n\":1.50}");
    assertThat(back.time()).isEqualTo(1763700000123L);
    assertThat(back.envelope()).isEqualTo(m.envelope());
    assertThat(back.pushFrame()).isEqualTo(m.pushFrame());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{ \"a\" : 1 }",
        "1.0",
        "1e5",
        "0.1000000000000000055511151231257827",
        "\"\\u00e9\"",
        "\"é\"",
        "[ ]",
        "-0",
        "123456789012345678901234567890",
        "\"a\\/b\"",
        "true",
        "null"
      })
  void parseEnvelopeKeepsTheDataBytesSoTheEnvelopeIsTheSame(String data) {
    Message m = Message.create("c", "e", 7, "message", utf8(data), 9);
    Message back = Message.parseEnvelope(m.envelope());
    assertThat(text(back.data())).isEqualTo(data);
    assertThat(text(back.envelope())).isEqualTo(text(m.envelope()));
  }

  @Test
  void parseEnvelopeAcceptsAPushFrameAndFieldsInAnyOrder() {
    Message m = Message.create("c", "e", 3, "x", utf8("[1]"), 2);
    assertThat(Message.parseEnvelope(m.pushFrame()).envelope()).isEqualTo(m.envelope());
    Message reordered =
        Message.parseEnvelope(
            utf8(
                " {\"data\": [1], \"time\":2, \"event\":\"x\", \"epoch\":\"e\", \"offset\":3, \"channel\":\"c\", \"extra\":{\"y\":[]}} "));
    assertThat(reordered.envelope()).isEqualTo(m.envelope());
  }

  @Test
  void parseEnvelopeDefaultsTheEventToMessage() {
    Message m =
        Message.parseEnvelope(utf8("{\"channel\":\"c\",\"offset\":1,\"epoch\":\"e\",\"data\":1}"));
    assertThat(m.event()).isEqualTo("message");
    assertThat(m.time()).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        "[]",
        "1",
        "{",
        "{}",
        "not json",
        "{\"channel\":\"c\",\"offset\":1,\"epoch\":\"e\"}",
        "{\"channel\":\"c\",\"offset\":1,\"data\":1}",
        "{\"channel\":\"c\",\"epoch\":\"e\",\"data\":1}",
        "{\"offset\":1,\"epoch\":\"e\",\"data\":1}",
        "{\"channel\":\"c\",\"offset\":\"1\",\"epoch\":\"e\",\"data\":1}",
        "{\"channel\":\"c\",\"offset\":0,\"epoch\":\"e\",\"data\":1}",
        "{\"channel\":\"c\",\"offset\":1,\"epoch\":\"E!\",\"data\":1}",
        "{\"channel\":\"c\",\"offset\":1,\"epoch\":\"e\",\"data\":1} {}",
        "{\"channel\":\"c\",\"offset\":1,\"epoch\":\"e\",\"data\":[1,}"
      })
  void parseEnvelopeRejectsWhatIsNotAnEnvelopeAsInvalidJson(String json) {
    assertThat(codeOf(() -> Message.parseEnvelope(utf8(json)))).isEqualTo(ErrorCode.INVALID_JSON);
  }

  // ---- Json.requireValue ----

  @ParameterizedTest
  @ValueSource(
      strings = {"1", "\"s\"", "{\"a\":[1,{}]}", "[]", "null", "true", "-1.5e10", "\"é✓\""})
  void requireValueAcceptsOneJsonValue(String json) {
    assertThat(text(Json.requireValue(utf8(json)))).isEqualTo(json);
  }

  @Test
  void requireValueTrimsOuterWhiteSpaceAndKeepsInnerBytes() {
    assertThat(text(Json.requireValue(utf8(" \t\r\n{ \"a\" : 1 }\n ")))).isEqualTo("{ \"a\" : 1 }");
    byte[] exact = utf8("[1]");
    assertThat(Json.requireValue(exact)).isSameAs(exact);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1 2", "{} {}", "[1][2]", "\"a\" \"b\"", "{\"a\":1}}", "null null"})
  void requireValueRejectsTwoValues(String json) {
    assertThat(codeOf(() -> Json.requireValue(utf8(json)))).isEqualTo(ErrorCode.INVALID_JSON);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{",
        "[1,]",
        "{\"a\":}",
        "'single'",
        "NaN",
        "01",
        "tru",
        "\"unterminated",
        "{a:1}",
        "\"bad \\q escape\"",
        "\"raw \u0001 control\"",
        "[1,2",
        "//c\n1"
      })
  void requireValueRejectsBrokenJson(String json) {
    assertThat(codeOf(() -> Json.requireValue(utf8(json)))).isEqualTo(ErrorCode.INVALID_JSON);
  }

  @Test
  void requireValueRejectsInvalidUtf8InsideStrings() {
    assertThat(codeOf(() -> Json.requireValue(new byte[] {'"', (byte) 0xc3, (byte) 0x28, '"'})))
        .isEqualTo(ErrorCode.INVALID_JSON);
    assertThat(codeOf(() -> Json.requireValue(new byte[] {'"', (byte) 0xff, '"'})))
        .isEqualTo(ErrorCode.INVALID_JSON);
  }

  /** Found by PublishBodyFuzzTest: Jackson lets these through inside strings. */
  @Test
  void requireValueRejectsOverlongFormsAndEncodedSurrogatesInsideStrings() {
    assertThat(codeOf(() -> Json.requireValue(new byte[] {'"', (byte) 0xc0, (byte) 0xaf, '"'})))
        .isEqualTo(ErrorCode.INVALID_JSON);
    assertThat(
            codeOf(
                () ->
                    Json.requireValue(
                        new byte[] {'"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"'})))
        .isEqualTo(ErrorCode.INVALID_JSON);
  }

  /** Found by PublishBodyFuzzTest: Jackson took 00 22 00 22 for UTF-16 and accepted it. */
  @Test
  void requireValueRejectsUtf16AndNulBytesButDropsAUtf8ByteOrderMark() {
    assertThat(codeOf(() -> Json.requireValue(new byte[] {0, '"', 0, '"'})))
        .isEqualTo(ErrorCode.INVALID_JSON);
    assertThat(codeOf(() -> Json.requireValue("{\"a\":1}".getBytes(StandardCharsets.UTF_16LE))))
        .isEqualTo(ErrorCode.INVALID_JSON);
    assertThat(
            codeOf(
                () ->
                    Message.parseEnvelope(
                        "{\"channel\":\"c\",\"offset\":1,\"epoch\":\"e\",\"data\":1}"
                            .getBytes(StandardCharsets.UTF_16BE))))
        .isEqualTo(ErrorCode.INVALID_JSON);
    assertThat(
            text(Json.requireValue(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, ' ', '1'})))
        .isEqualTo("1");
  }

  @Test
  void requireValueRejectsAnEmptyBodySayingSo() {
    for (String empty : new String[] {"", " ", "\n\t"}) {
      assertThatThrownBy(() -> Json.requireValue(utf8(empty)))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("empty");
    }
  }

  @Test
  void requireValueRejectsNestingDeeperThan256() {
    assertThat(text(Json.requireValue(utf8("[".repeat(256) + "]".repeat(256))))).hasSize(512);
    assertThat(codeOf(() -> Json.requireValue(utf8("[".repeat(300) + "]".repeat(300)))))
        .isEqualTo(ErrorCode.INVALID_JSON);
  }

  // ---- Json.stringValue ----

  @Test
  void stringValueQuotesAndEscapes() {
    assertThat(text(Json.stringValue("plain"))).isEqualTo("\"plain\"");
    assertThat(text(Json.stringValue("a \"q\" \\ b"))).isEqualTo("\"a \\\"q\\\" \\\\ b\"");
    assertThat(text(Json.stringValue("line1\nline2\r\tend")))
        .isEqualTo("\"line1\\nline2\\r\\tend\"");
    assertThat(text(Json.stringValue("\u0000\u001f"))).isEqualTo("\"\\u0000\\u001F\"");
    assertThat(text(Json.stringValue(""))).isEqualTo("\"\"");
  }

  @Test
  void stringValueKeepsNonAsciiAsUtf8AndRoundTrips() {
    String s = "é ✓ 😀 </script> \u2028";
    byte[] json = Json.stringValue(s);
    assertThat(readTree(json).asText()).isEqualTo(s);
    assertThat(Json.requireValue(json)).isEqualTo(json);
    assertThat(text(Json.stringValue(utf8(s)))).isEqualTo(text(json));
  }

  @Test
  void stringValueOfBytesRejectsInvalidUtf8() {
    assertThat(codeOf(() -> Json.stringValue(new byte[] {'a', (byte) 0xff})))
        .isEqualTo(ErrorCode.INVALID_JSON);
    assertThat(codeOf(() -> Json.stringValue(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})))
        .isEqualTo(ErrorCode.INVALID_JSON);
  }

  @Test
  void aStringValueIsAValidMessageDataOnOneLine() {
    Message m = Message.create("c", "e", 1, "message", Json.stringValue("multi\nline \"text\""), 0);
    assertThat(text(m.envelope())).doesNotContain("\n");
    assertThat(readTree(m.envelope()).get("data").asText()).isEqualTo("multi\nline \"text\"");
  }

  private static JsonNode readTree(byte[] json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
