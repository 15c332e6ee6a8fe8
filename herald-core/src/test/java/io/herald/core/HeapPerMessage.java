package io.herald.core;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executor;

/**
 * Measures the heap that one retained message costs on a node with the in-memory broker: fills
 * {@code channels} channels with {@code perChannel} messages of {@code payload} bytes each, every
 * channel also active in the hub (as when clients subscribed), and reports the heap used after a
 * full GC, minus the heap before, divided by the messages retained. A tool, not a test; run it with
 * a heap large enough for the fill:
 *
 * <pre>
 * mvn -o -q -pl herald-core test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx2g -cp herald-core/target/classes:herald-core/target/test-classes:$(cat /tmp/cp.txt) \
 *     io.herald.core.HeapPerMessage 100 1000 100
 * </pre>
 *
 * Arguments: payload bytes, channels, messages per channel.
 */
public final class HeapPerMessage {
  private HeapPerMessage() {}

  public static void main(String[] args) throws Exception {
    int payload = Integer.parseInt(args[0]);
    int channels = Integer.parseInt(args[1]);
    int perChannel = Integer.parseInt(args[2]);
    HistoryConfig history = new HistoryConfig(Math.max(perChannel, 1), Duration.ofHours(1));
    MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
    byte[] template = new byte[payload];
    Arrays.fill(template, (byte) 'x');
    template[0] = '"';
    template[payload - 1] = '"';
    long before = usedAfterGc(mx);
    MemoryBroker broker = new MemoryBroker(history);
    Hub hub = new Hub(broker, history, Duration.ofHours(1));
    hub.start();
    Executor direct = Runnable::run;
    for (int c = 0; c < channels; c++) {
      String name = "heap-" + c;
      hub.subscribe(name, null, direct, null).join().close(); // active in the hub, as after a poll
    }
    long channelsOnly = usedAfterGc(mx);
    long envelopes = 0;
    for (int i = 0; i < perChannel; i++) {
      for (int c = 0; c < channels; c++) {
        // a fresh channel string and data array per publication, as a request gives them
        envelopes +=
            hub.publish(
                    new String(
                        ("heap-" + c).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
                    "message",
                    template.clone())
                .join()
                .envelope()
                .length;
      }
    }
    long after = usedAfterGc(mx);
    long n = (long) channels * perChannel;
    System.out.printf(
        "payload=%d bytes channels=%d messages=%d: %.0f heap bytes per retained message"
            + " (%.1fx the payload; envelope %.0f bytes), %.0f heap bytes per active channel%n",
        payload,
        channels,
        n,
        (after - channelsOnly) / (double) n,
        (after - channelsOnly) / (double) n / payload,
        envelopes / (double) n,
        (channelsOnly - before) / (double) channels);
    hub.close();
  }

  private static long usedAfterGc(MemoryMXBean mx) throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
