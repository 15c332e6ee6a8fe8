package io.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.nio.NioEventLoopGroup;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SubscriberTest {
  static NioEventLoopGroup group;
  static Stats stats;

  @BeforeAll
  static void loops() {
    group = new NioEventLoopGroup(1);
    stats = new Stats(group, true);
  }

  @AfterAll
  static void close() {
    group.shutdownGracefully();
  }

  private Subscriber subscriber() {
    Subscriber s = new Subscriber(0, "c", 0);
    s.loop = stats.of(group.next());
    return s;
  }

  private static int feed(Subscriber s, String text, boolean herald) {
    ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    try {
      return s.onMessages(stats, b, b.readerIndex(), b.writerIndex(), herald);
    } finally {
      b.release();
    }
  }

  @Test
  void readsOffsetTimeAndEpochOfAHeraldPushFrame() {
    Subscriber s = subscriber();
    long now = System.currentTimeMillis();
    int n =
        feed(
            s,
            "{\"type\":\"message\",\"channel\":\"c\",\"offset\":1,\"epoch\":\"k3f9\",\"event\":\"message\","
                + "\"data\":\"xxxxxxxx\",\"time\":"
                + now
                + "}",
            true);
    assertThat(n).isEqualTo(1);
    assertThat(s.last).isEqualTo(1);
    assertThat(s.resume).isEqualTo("k3f9:1");
    assertThat(s.distinct).isEqualTo(1);
  }

  @Test
  void readsEveryMessageOfAPollAnswer() {
    Subscriber s = subscriber();
    String env =
        "{\"channel\":\"c\",\"offset\":%d,\"epoch\":\"e1\",\"event\":\"message\",\"data\":\"xx\",\"time\":1763700000123}";
    String answer =
        "{\"messages\":["
            + String.format(env, 1)
            + ","
            + String.format(env, 2)
            + ","
            + String.format(env, 3)
            + "],\"cursor\":\"e1:3\",\"recovered\":true}";
    assertThat(feed(s, answer, false)).isEqualTo(3);
    assertThat(s.last).isEqualTo(3);
    assertThat(s.holes).isZero();
    assertThat(s.backwards).isZero();
  }

  @Test
  void readsAGenericPayloadWithSequenceAndSendTime() {
    Subscriber s = subscriber();
    assertThat(feed(s, "{\"offset\":7,\"time\":1763700000123,\"pad\":\"xxxxxxxx\"}", false))
        .isEqualTo(1);
    assertThat(s.last).isEqualTo(7);
  }

  @Test
  void countsHolesAndBackwardsOffsets() {
    Subscriber s = subscriber();
    feed(s, "{\"offset\":1,\"time\":1}", false);
    feed(s, "{\"offset\":4,\"time\":1}", false); // 2 and 3 skipped
    feed(s, "{\"offset\":4,\"time\":1}", false); // duplicate
    feed(s, "{\"offset\":3,\"time\":1}", false); // late
    assertThat(s.received).isEqualTo(4);
    assertThat(s.distinct).isEqualTo(2);
    assertThat(s.holes).isEqualTo(2);
    assertThat(s.backwards).isEqualTo(2);
  }

  @Test
  void ignoresTextWithoutOffsets() {
    assertThat(
            feed(
                subscriber(),
                "{\"type\":\"subscribed\",\"channel\":\"c\",\"position\":\"e1:0\"}",
                true))
        .isZero();
  }
}
