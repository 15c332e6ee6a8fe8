package io.herald.server;

import io.herald.redis.LoopbackRelay;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on a loopback port in front of a server that counts how often given strings pass
 * through it: in requests (such as {@code GET /channels/} or {@code If-None-Match:}) and in answers
 * (such as {@code HTTP/1.1 304}). Behind a proxy, it tells what reached the origin. Meant for
 * requests without a body, whose bytes are all head. A {@link LoopbackRelay} with a tap;
 * thread-safe.
 */
final class CountingRelay implements AutoCloseable {
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final LoopbackRelay relay;

  /**
   * @param targetPort the origin's loopback port
   * @param upstream strings counted in what clients send
   * @param downstream strings counted in what the origin answers
   */
  CountingRelay(int targetPort, List<String> upstream, List<String> downstream) {
    for (String s : upstream) {
      counts.put(s, new AtomicInteger());
    }
    for (String s : downstream) {
      counts.put(s, new AtomicInteger());
    }
    this.relay =
        LoopbackRelay.to(targetPort)
            .name("counting-relay")
            .tap(toTarget -> counter(toTarget ? upstream : downstream))
            .start();
  }

  int port() {
    return relay.port();
  }

  /** How often {@code s} (one of the strings given) went through so far. */
  int count(String s) {
    return counts.get(s).get();
  }

  /** Counts {@code patterns} in one direction, also where one spans two reads. */
  private LoopbackRelay.Tap counter(List<String> patterns) {
    int longest = patterns.stream().mapToInt(String::length).max().orElse(1);
    return new LoopbackRelay.Tap() {
      private String tail = ""; // the last bytes of the previous read, for matches across reads

      @Override
      public void bytes(byte[] buf, int off, int len) {
        String text = tail + new String(buf, off, len, StandardCharsets.ISO_8859_1);
        for (String p : patterns) {
          for (int i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + 1)) {
            if (i + p.length() > tail.length()) { // not counted with the last read
              counts.get(p).incrementAndGet();
            }
          }
        }
        tail = text.substring(Math.max(0, text.length() - (longest - 1)));
      }
    };
  }

  @Override
  public void close() {
    relay.close();
  }
}
