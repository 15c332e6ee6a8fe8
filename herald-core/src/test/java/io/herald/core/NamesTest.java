package io.herald.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Channel names, channel lists and event names (PROTOCOL.md sections 1 and 2). */
@Timeout(10)
class NamesTest {
  private static ProtocolException error(Runnable r) {
    try {
      r.run();
    } catch (ProtocolException e) {
      return e;
    }
    throw new AssertionError("expected a ProtocolException");
  }

  // ---- channel names ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "prices",
        "chat:lobby",
        "user@example.com",
        "k=v",
        "A-Z_a.z-09",
        "::",
        "=",
        "@"
      })
  void channelNamesOfTheAllowedCharactersAreAccepted(String name) {
    assertThat(Names.channel(name)).isEqualTo(name);
  }

  @Test
  void everyAllowedCharacterIsAccepted() {
    String all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.:@=";
    assertThat(Names.channel(all)).isEqualTo(all);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a,b", "a b", "a/b", "a?b", "a#b", "a%20b", "é", "a\tb", "a\nb", "a+b", "a*b", "\u0000",
        "a\"b", "a'b"
      })
  void channelNamesWithOtherCharactersAreInvalid(String name) {
    ProtocolException e = error(() -> Names.channel(name));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CHANNEL);
    assertThat(e.getMessage()).contains("allowed are A-Z a-z 0-9 _ - . : @ =");
    assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\u0000");
  }

  @Test
  void aChannelNameOf200CharactersIsAcceptedAnd201IsNot() {
    assertThat(Names.channel("c".repeat(200))).hasSize(200);
    ProtocolException e = error(() -> Names.channel("c".repeat(201)));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CHANNEL);
    assertThat(e.getMessage()).contains("201").contains("200");
  }

  @Test
  void anEmptyOrMissingChannelNameIsInvalid() {
    assertThat(error(() -> Names.channel("")).code()).isEqualTo(ErrorCode.INVALID_CHANNEL);
    assertThat(error(() -> Names.channel(null)).code()).isEqualTo(ErrorCode.INVALID_CHANNEL);
  }

  // ---- channel lists ----

  @Test
  void aChannelListIsSplitAtCommasInOrder() {
    assertThat(Names.channelList("b,a,chat:lobby", 10)).containsExactly("b", "a", "chat:lobby");
    assertThat(Names.channelList("one", 1)).containsExactly("one");
  }

  @Test
  void aChannelListWithAnEmptyEntryIsInvalid() {
    for (String list : new String[] {"a,,b", ",a", "a,", ","}) {
      assertThat(error(() -> Names.channelList(list, 10)).code())
          .as(list)
          .isEqualTo(ErrorCode.INVALID_CHANNEL);
    }
    assertThat(error(() -> Names.channelList("", 10)).code()).isEqualTo(ErrorCode.INVALID_CHANNEL);
    assertThat(error(() -> Names.channelList(null, 10)).code())
        .isEqualTo(ErrorCode.INVALID_CHANNEL);
  }

  @Test
  void aChannelListedTwiceIsInvalid() {
    ProtocolException e = error(() -> Names.channelList("a,b,a", 10));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CHANNEL);
    assertThat(e.getMessage()).contains("'a'").contains("twice");
  }

  @Test
  void aBadNameInAListIsInvalidChannel() {
    assertThat(error(() -> Names.channelList("a,b c", 10)).code())
        .isEqualTo(ErrorCode.INVALID_CHANNEL);
  }

  @Test
  void moreChannelsThanAllowedIsTooManyChannels() {
    assertThat(Names.channelList(String.join(",", Collections.nCopies(1, "x")), 1)).hasSize(1);
    StringBuilder ok = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      ok.append(i == 0 ? "" : ",").append("c").append(i);
    }
    assertThat(Names.channelList(ok.toString(), 5)).hasSize(5);
    ProtocolException e = error(() -> Names.channelList(ok + ",c5", 5));
    assertThat(e.code()).isEqualTo(ErrorCode.TOO_MANY_CHANNELS);
    assertThat(e.getMessage()).contains("6").contains("5");
    assertThat(ErrorCode.TOO_MANY_CHANNELS.httpStatus()).isEqualTo(400);
  }

  // ---- event names ----

  @Test
  void aMissingEventNameIsMessage() {
    assertThat(Names.event(null)).isEqualTo("message").isEqualTo(Names.DEFAULT_EVENT);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "message",
        "price-tick",
        "chat.line",
        "A_b-9.z",
        "x",
        "herald",
        "heraldx",
        "my.herald.event"
      })
  void eventNamesOfTheAllowedCharactersAreAccepted(String name) {
    assertThat(Names.event(name)).isEqualTo(name);
  }

  @Test
  void anEventNameOf64CharactersIsAcceptedAnd65IsNot() {
    assertThat(Names.event("e".repeat(64))).hasSize(64);
    assertThat(error(() -> Names.event("e".repeat(65))).code()).isEqualTo(ErrorCode.INVALID_EVENT);
    assertThat(error(() -> Names.event("")).code()).isEqualTo(ErrorCode.INVALID_EVENT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a:b", "a b", "a,b", "a@b", "a=b", "é", "a\nb", "a/b"})
  void eventNamesWithOtherCharactersAreInvalid(String name) {
    ProtocolException e = error(() -> Names.event(name));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_EVENT);
    assertThat(e.getMessage()).doesNotContain("\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"herald.", "herald.gap", "herald.subscribed", "herald.anything"})
  void eventNamesStartingWithHeraldDotAreReserved(String name) {
    ProtocolException e = error(() -> Names.event(name));
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_EVENT);
    assertThat(e.getMessage()).contains("reserved");
  }

  @Test
  void errorsCarryTheirWireCodeAndStatus() {
    assertThatThrownBy(() -> Names.channel("a b")).isInstanceOf(ProtocolException.class);
    assertThat(ErrorCode.INVALID_CHANNEL.code()).isEqualTo("invalid_channel");
    assertThat(ErrorCode.INVALID_EVENT.code()).isEqualTo("invalid_event");
    assertThat(ErrorCode.TOO_MANY_CHANNELS.code()).isEqualTo("too_many_channels");
    assertThat(ErrorCode.UNAVAILABLE.httpStatus()).isEqualTo(503);
    assertThat(new BrokerUnavailableException("down").code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }
}
