package io.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TransportTest {
  @Test
  void parsesTheCommandLineNames() {
    assertThat(Transport.parse("websocket")).isEqualTo(Transport.WEBSOCKET);
    assertThat(Transport.parse("sse")).isEqualTo(Transport.SSE);
    assertThat(Transport.parse("long-poll")).isEqualTo(Transport.LONG_POLL);
    assertThat(Transport.parse("SHORT_POLL")).isEqualTo(Transport.SHORT_POLL);
    for (Transport t : Transport.values()) {
      assertThat(Transport.parse(t.wireName())).isEqualTo(t);
    }
  }

  @Test
  void unknownNameListsTheValidOnes() {
    assertThatThrownBy(() -> Transport.parse("carrier-pigeon"))
        .hasMessageContaining("websocket, sse, long-poll or short-poll");
  }
}
