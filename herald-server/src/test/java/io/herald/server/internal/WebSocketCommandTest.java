package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.herald.core.ErrorCode;
import io.herald.core.ProtocolException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The WebSocket command parser: raw field bytes, exact ids, and the errors of bad frames. */
@Timeout(10)
class WebSocketCommandTest {

  private static WebSocketCommand parse(String frame) {
    return WebSocketCommand.parse(frame.getBytes(StandardCharsets.UTF_8));
  }

  private static String raw(WebSocketCommand c, String field) {
    return new String(c.raw(field), StandardCharsets.UTF_8);
  }

  @Test
  void dataKeepsItsExactBytesWithoutSurroundingWhiteSpace() {
    WebSocketCommand c =
        parse(
            "{\"type\":\"publish\",\"data\" :  {\"n\": 1e400, \"s\":\"\\u00e9\\ud83d\\ude00\"}\t,\"channel\":\"a\"}");
    assertThat(raw(c, "data")).isEqualTo("{\"n\": 1e400, \"s\":\"\\u00e9\\ud83d\\ude00\"}");
    assertThat(c.type()).isEqualTo("publish");
    assertThat(c.requireString("channel")).isEqualTo("a");
  }

  @Test
  void scalarsAtTheEndOfTheObjectKeepTheirExactBytes() {
    assertThat(
            raw(
                parse("{\"type\":\"publish\",\"data\":0.1000000000000000055511151231257827}"),
                "data"))
        .isEqualTo("0.1000000000000000055511151231257827");
    assertThat(raw(parse("{\"type\":\"publish\",\"data\":\"x\\\"y\"}"), "data"))
        .isEqualTo("\"x\\\"y\"");
    assertThat(raw(parse("{\"type\":\"publish\",\"data\":null}"), "data")).isEqualTo("null");
    assertThat(raw(parse("{\"type\":\"publish\",\"data\":\"é\"}"), "data")).isEqualTo("\"é\"");
  }

  @Test
  void idIsKeptAsItsJsonTextWhenANumberOrAString() {
    assertThat(parse("{\"type\":\"ping\",\"id\":1.50}").id()).isEqualTo("1.50");
    assertThat(parse("{\"type\":\"ping\",\"id\":\"a\\u0062\"}").id()).isEqualTo("\"a\\u0062\"");
    assertThat(parse("{\"type\":\"ping\",\"id\":[1]}").id()).isNull();
    assertThat(parse("{\"type\":\"ping\"}").id()).isNull();
  }

  @Test
  void theLastOfARepeatedFieldCounts() {
    assertThat(raw(parse("{\"type\":\"publish\",\"data\":1,\"data\":[2]}"), "data"))
        .isEqualTo("[2]");
  }

  @Test
  void badFramesAreRefusedWithTheirCodeAndTheIdReadBeforeTheFault() {
    assertInvalid("", ErrorCode.INVALID_JSON, null);
    assertInvalid("{", ErrorCode.INVALID_JSON, null);
    assertInvalid("{\"id\":7,\"type\":", ErrorCode.INVALID_JSON, "7");
    assertInvalid("{\"type\":\"ping\"} 1", ErrorCode.INVALID_JSON, null);
    assertInvalid("[]", ErrorCode.INVALID_REQUEST, null);
    assertInvalid("{\"type\":null,\"id\":\"q\"}", ErrorCode.INVALID_REQUEST, "\"q\"");
  }

  @Test
  void optionalStringsRefuseOtherTypesWithTheGivenCode() {
    WebSocketCommand c = parse("{\"type\":\"publish\",\"event\":1,\"key\":null}");
    assertThatThrownBy(() -> c.string("event", ErrorCode.INVALID_EVENT))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_EVENT));
    assertThat(c.string("key", ErrorCode.INVALID_REQUEST)).isNull();
    assertThat(c.string("absent", ErrorCode.INVALID_REQUEST)).isNull();
    assertThatThrownBy(() -> c.requireString("channel"))
        .hasMessageContaining("'channel' as a string");
  }

  private static void assertInvalid(String frame, ErrorCode code, String id) {
    assertThatThrownBy(() -> parse(frame))
        .isInstanceOfSatisfying(
            WebSocketCommand.Invalid.class,
            e -> {
              assertThat(e.error().code()).isEqualTo(code);
              assertThat(e.error().getMessage()).isNotBlank();
              assertThat(e.id()).isEqualTo(id);
            });
  }
}
