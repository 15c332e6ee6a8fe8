package io.herald.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The event-stream rules of the WHATWG HTML "Interpreting an event stream" section, as fixtures.
 */
class SseParserTest {
  private final List<SseEvent> events = new ArrayList<>();
  private final List<Long> retries = new ArrayList<>();
  private final SseParser parser = new SseParser(events::add, retries::add, 64);

  @Test
  void dispatchesHeraldStreamAsTheServerSendsIt() {
    parser.feed(
        ""
            + "retry: 2000\n" // reconnection time
            + "\n" // blank: nothing to dispatch
            + "id: k3f9:17\n" // cursor at subscribe time
            + "event: herald.subscribed\n" // reserved event
            + "data: {\"recovered\":true}\n" // its data
            + "\n" // dispatch
            + ": heartbeat\n" // comment: ignored
            + "id: k3f9:18\n" // cursor after the message
            + "data: {\"offset\":18}\n" // no event line: "message"
            + "\n"); // dispatch
    assertThat(retries).containsExactly(2000L);
    assertThat(events)
        .containsExactly(
            new SseEvent("herald.subscribed", "{\"recovered\":true}", "k3f9:17"),
            new SseEvent("message", "{\"offset\":18}", "k3f9:18"));
  }

  @Test
  void joinsDataLinesWithLineFeedsAndDropsTheLastOne() {
    parser.feed(
        "data: one\n" // first line
            + "data:two\n" // no space after the colon
            + "data:  three\n" // only one space is removed
            + "\n");
    assertThat(events).containsExactly(new SseEvent("message", "one\ntwo\n three", ""));
  }

  @Test
  void acceptsCrLfAndCrAsLineEndsEvenSplitAcrossChunks() {
    parser.feed("data: a\r"); // CR ...
    parser.feed("\n\r"); // ... LF belongs to it; then a lone CR: a blank line
    parser.feed("data: b\r\r"); // CR CR: a line and a blank line
    parser.feed("data: c\n\n"); // LF LF
    assertThat(events).extracting(SseEvent::data).containsExactly("a", "b", "c");
  }

  @Test
  void eventWithoutDataIsNotDispatchedButItsIdIsKept() {
    parser.feed(
        "id: 7\n" // sets the last event id
            + "event: ignored\n" // reset at the blank line
            + "\n" // no data: no dispatch
            + "data: x\n"
            + "\n");
    assertThat(events).containsExactly(new SseEvent("message", "x", "7"));
    assertThat(parser.lastEventId()).isEqualTo("7");
  }

  @Test
  void emptyDataFieldDispatchesAnEmptyString() {
    parser.feed(
        "data\n" // field name only: empty value
            + "\n");
    assertThat(events).containsExactly(new SseEvent("message", "", ""));
  }

  @Test
  void ignoresUnknownFieldsBadRetryAndIdsWithNul() {
    parser.feed(
        "foo: bar\n" // unknown field
            + "retry: 12a\n" // not all digits: ignored
            + "id: a\u0000b\n" // NUL: ignored
            + "data: x\n"
            + "\n");
    assertThat(retries).isEmpty();
    assertThat(events).containsExactly(new SseEvent("message", "x", ""));
  }

  @Test
  void skipsALeadingByteOrderMarkAndDecodesUtf8SplitAcrossChunks() {
    byte[] bytes = "\uFEFFdata: h\u00e9\u20ac\n\n".getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) {
      parser.feed(new byte[] {b});
    }
    assertThat(events).containsExactly(new SseEvent("message", "h\u00e9\u20ac", ""));
  }

  @Test
  void incompleteEventIsNotDispatched() {
    parser.feed("data: x\n"); // no blank line yet
    assertThat(events).isEmpty();
    parser.feed("\n");
    assertThat(events).hasSize(1);
  }

  @Test
  void refusesALineLongerThanItsBound() {
    assertThatThrownBy(() -> parser.feed("data: " + "x".repeat(100) + "\n"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("64 bytes");
  }
}
