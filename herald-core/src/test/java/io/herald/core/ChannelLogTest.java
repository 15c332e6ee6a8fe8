package io.herald.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The channel log: a bounded ring of consecutive offsets, one writer, lock-free readers. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelLogTest {
  private static final String EPOCH = "k3f9";
  private static final HistoryConfig HOUR = HistoryConfig.DEFAULT;

  private static Message message(long offset, long time) {
    return Message.create(
        "c", EPOCH, offset, "message", ("{\"n\":" + offset + "}").getBytes(UTF_8), time);
  }

  private static Message message(long offset) {
    return message(offset, System.currentTimeMillis());
  }

  private static ChannelLog log(int maxMessages) {
    return new ChannelLog("c", EPOCH, 0, new HistoryConfig(maxMessages, Duration.ofHours(1)));
  }

  private static void appendUpTo(ChannelLog log, long last) {
    for (long o = log.head() + 1; o <= last; o++) {
      log.append(message(o));
    }
  }

  private static List<Long> readAll(ChannelLog log, long after) {
    List<Message> out = new ArrayList<>();
    log.read(after, Integer.MAX_VALUE, out);
    return out.stream().map(Message::offset).toList();
  }

  @Test
  void aNewLogIsEmptyAtItsHead() {
    ChannelLog log = new ChannelLog("c", EPOCH, 0, HOUR);
    assertThat(log.head()).isZero();
    assertThat(log.first()).isEqualTo(1);
    assertThat(log.size()).isZero();
    assertThat(log.headPosition()).isEqualTo(new Position(EPOCH, 0));
    assertThat(log.get(0)).isNull();
    assertThat(log.get(1)).isNull();

    ChannelLog resumed = new ChannelLog("c", EPOCH, 41, HOUR);
    assertThat(resumed.first()).isEqualTo(42);
    resumed.append(message(42));
    assertThat(resumed.get(42).offset()).isEqualTo(42);
  }

  @Test
  void appendsKeepOffsetOrder() {
    ChannelLog log = log(100);
    appendUpTo(log, 10);
    assertThat(log.head()).isEqualTo(10);
    assertThat(log.size()).isEqualTo(10);
    assertThat(readAll(log, 0)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(readAll(log, 7)).containsExactly(8L, 9L, 10L);
    assertThat(readAll(log, 10)).isEmpty();
    assertThat(readAll(log, 99)).isEmpty();
    for (long o = 1; o <= 10; o++) {
      assertThat(log.get(o).offset()).isEqualTo(o);
    }
    assertThat(log.get(11)).isNull();
  }

  @Test
  void appendRejectsAnythingButTheNextOffsetOfItsEpoch() {
    ChannelLog log = log(100);
    appendUpTo(log, 3);
    assertThatThrownBy(() -> log.append(message(3))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> log.append(message(5))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> log.append(Message.create("c", "other", 4, "message", "1".getBytes(UTF_8), 0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(log.head()).isEqualTo(3);
  }

  @Test
  void readStopsAtTheLimit() {
    ChannelLog log = log(100);
    appendUpTo(log, 10);
    List<Message> out = new ArrayList<>();
    assertThat(log.read(2, 3, out)).isEqualTo(3);
    assertThat(out).extracting(Message::offset).containsExactly(3L, 4L, 5L);
  }

  @Test
  void theRingStartsAt16AndDoublesUpToMaxMessages() {
    ChannelLog log = log(100);
    assertThat(log.capacity()).isEqualTo(16);
    appendUpTo(log, 16);
    assertThat(log.capacity()).isEqualTo(16);
    appendUpTo(log, 17);
    assertThat(log.capacity()).isEqualTo(32);
    appendUpTo(log, 33);
    assertThat(log.capacity()).isEqualTo(64);
    appendUpTo(log, 65);
    assertThat(log.capacity()).isEqualTo(100);
    appendUpTo(log, 1000);
    assertThat(log.capacity()).isEqualTo(100);
    assertThat(log(5).capacity()).isEqualTo(5);
  }

  @Test
  void growingKeepsEveryRetainedMessage() {
    ChannelLog log = log(1000);
    appendUpTo(log, 700);
    assertThat(log.size()).isEqualTo(700);
    assertThat(readAll(log, 0)).hasSize(700).startsWith(1L).endsWith(700L);
    for (long o = 1; o <= 700; o++) {
      assertThat(log.get(o).offset()).isEqualTo(o);
    }
  }

  @Test
  void pastMaxMessagesTheOldestAreDropped() {
    ChannelLog log = log(100);
    appendUpTo(log, 250);
    assertThat(log.size()).isEqualTo(100);
    assertThat(log.first()).isEqualTo(151);
    assertThat(log.head()).isEqualTo(250);
    assertThat(log.get(150)).isNull();
    assertThat(log.get(1)).isNull();
    assertThat(log.get(151).offset()).isEqualTo(151);
    assertThat(log.get(250).offset()).isEqualTo(250);
    // A read after a dropped offset starts at the oldest retained one.
    assertThat(readAll(log, 0)).hasSize(100).startsWith(151L).endsWith(250L);
    assertThat(readAll(log, 200)).hasSize(50).startsWith(201L);
  }

  @Test
  void aLogOfOneMessageKeepsOnlyTheLast() {
    ChannelLog log = log(1);
    appendUpTo(log, 5);
    assertThat(readAll(log, 0)).containsExactly(5L);
    assertThat(log.get(4)).isNull();
  }

  @Test
  void trimDropsMessagesOlderThanMaxAgeFromTheOldest() {
    ChannelLog log = new ChannelLog("c", EPOCH, 0, new HistoryConfig(100, Duration.ofSeconds(10)));
    long t0 = 1_000_000L;
    for (long o = 1; o <= 5; o++) {
      log.append(message(o, t0 + o * 1000)); // offsets 1..5 at t0+1s .. t0+5s
    }
    assertThat(log.trim(t0 + 10_000)).isZero(); // the oldest is 9 s old
    assertThat(log.trim(t0 + 12_500)).isEqualTo(2); // 1 and 2 are older than 10 s
    assertThat(log.first()).isEqualTo(3);
    assertThat(log.get(2)).isNull();
    assertThat(readAll(log, 0)).containsExactly(3L, 4L, 5L);
    assertThat(log.trim(t0 + 60_000)).isEqualTo(3);
    assertThat(log.size()).isZero();
    assertThat(log.head()).as("trimming never moves the head").isEqualTo(5);
    log.append(message(6, t0 + 60_000));
    assertThat(readAll(log, 0)).containsExactly(6L);
  }

  @Test
  void trimStopsAtTheFirstYoungMessage() {
    ChannelLog log = new ChannelLog("c", EPOCH, 0, new HistoryConfig(100, Duration.ofSeconds(10)));
    log.append(message(1, 0));
    log.append(message(2, 50_000));
    log.append(message(3, 0)); // an older clock on a later message is kept behind a young one
    assertThat(log.trim(30_000)).isEqualTo(1);
    assertThat(readAll(log, 0)).containsExactly(2L, 3L);
  }

  @Test
  void skipToDropsEverythingAndMovesTheHead() {
    ChannelLog log = log(100);
    appendUpTo(log, 10);
    log.skipTo(20);
    assertThat(log.head()).isEqualTo(20);
    assertThat(log.first()).isEqualTo(21);
    assertThat(log.size()).isZero();
    assertThat(log.get(10)).isNull();
    assertThat(log.get(20)).isNull();
    assertThat(readAll(log, 0)).isEmpty();
    log.append(message(21));
    assertThat(readAll(log, 0)).containsExactly(21L);
    log.skipTo(21); // to the head itself: drops what is retained
    assertThat(log.size()).isZero();
    assertThatThrownBy(() -> log.skipTo(5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aLogRejectsABadEpoch() {
    assertThatThrownBy(() -> new ChannelLog("c", "Bad", 0, HOUR))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readersOnOtherThreadsNeverSeeAWrongMessage() throws Exception {
    ChannelLog log = new ChannelLog("c", EPOCH, 0, new HistoryConfig(64, Duration.ofHours(1)));
    long last = 60_000;
    Message[] messages = new Message[(int) last + 1];
    for (int o = 1; o <= last; o++) {
      messages[o] = message(o, 0);
    }
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> failure = new AtomicReference<>();
    AtomicLong reads = new AtomicLong();
    Runnable reader =
        () -> {
          ThreadLocalRandom r = ThreadLocalRandom.current();
          List<Message> out = new ArrayList<>();
          while (!done.get() && failure.get() == null) {
            long head = log.head();
            long o = Math.max(0, head - r.nextInt(100) + 5);
            Message m = log.get(o);
            if (m != null && m.offset() != o) {
              failure.compareAndSet(null, "get(" + o + ") answered offset " + m.offset());
            }
            out.clear();
            long after = Math.max(0, head - r.nextInt(80));
            log.read(after, 32, out);
            for (int i = 0; i < out.size(); i++) {
              long expected = (i == 0 ? out.get(0).offset() : out.get(i - 1).offset() + 1);
              if (out.get(i).offset() != expected || out.get(i).offset() <= after) {
                failure.compareAndSet(
                    null,
                    "read(" + after + ") answered " + out.stream().map(Message::offset).toList());
              }
            }
            reads.incrementAndGet();
          }
        };
    Thread[] readers = {new Thread(reader, "reader-1"), new Thread(reader, "reader-2")};
    for (Thread t : readers) {
      t.start();
    }
    try {
      for (long o = 1; o <= last && failure.get() == null; o++) {
        log.append(messages[(int) o]);
        if (o % 20_000 == 0) {
          log.skipTo(log.head() + 3); // a gap now and then
          o += 3;
        }
      }
    } finally {
      done.set(true);
      for (Thread t : readers) {
        t.join(10_000);
      }
    }
    assertThat(failure.get()).isNull();
    assertThat(reads.get()).isPositive();
  }

  @Test
  void historyConfigAcceptsOneToAMillionMessagesAndAtLeastOneSecond() {
    assertThat(HistoryConfig.DEFAULT.maxMessages()).isEqualTo(1000);
    assertThat(HistoryConfig.DEFAULT.maxAge()).isEqualTo(Duration.ofHours(1));
    new HistoryConfig(1, Duration.ofSeconds(1));
    new HistoryConfig(1_000_000, Duration.ofDays(7));
    assertThatThrownBy(() -> new HistoryConfig(0, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HistoryConfig(1_000_001, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HistoryConfig(10, Duration.ofMillis(999)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HistoryConfig(10, null)).isInstanceOf(NullPointerException.class);
  }
}
