package io.herald.server.internal;

import io.netty.channel.Channel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The closing phase of a drain: every open connection gets its own moment in the window, evenly
 * spaced in random order, so that its clients reconnect to the remaining nodes at a steady rate
 * instead of all at once. At its moment a connection's parked long poll is answered (an empty 200
 * with its cursor, {@code Connection: close}), then {@link ServerShutdown} is fired on its
 * pipeline: a WebSocket closes with {@code 1001} and a reconnect hint, an SSE stream ends with
 * {@code herald.end}, an idle keep-alive connection closes. Thread-safe; the closes run on each
 * connection's event loop.
 */
public final class DrainSchedule {
  private DrainSchedule() {}

  /**
   * Schedules the closing of every connection of {@code connections} within {@code window} and
   * returns at once.
   *
   * @param server the server's context (its parked long polls)
   * @param connections the open connections (a snapshot is taken)
   * @param window zero closes them all now; otherwise the i-th of n closes at {@code window * i /
   *     n}
   * @return the number of connections scheduled
   */
  public static int closeSpread(
      ServerContext server, Iterable<Channel> connections, Duration window) {
    // by connection: an HTTP/1.1 poll's own channel, or the connection of an HTTP/2 stream's poll
    Map<Channel, List<PollHandler>> polls = new HashMap<>();
    for (PollHandler p : server.parked) {
      polls.computeIfAbsent(p.channel(), c -> new ArrayList<>()).add(p);
      if (p.channel().parent() != null) {
        polls.computeIfAbsent(p.channel().parent(), c -> new ArrayList<>()).add(p);
      }
    }
    List<Channel> all = new ArrayList<>();
    connections.forEach(all::add);
    Collections.shuffle(all, ThreadLocalRandom.current());
    long windowNanos = window.toNanos();
    int n = all.size();
    for (int i = 0; i < n; i++) {
      Channel ch = all.get(i);
      List<PollHandler> poll = polls.getOrDefault(ch, List.of());
      long at = windowNanos / n * i;
      ch.eventLoop().schedule(() -> closeOne(ch, poll), at, TimeUnit.NANOSECONDS);
    }
    return n;
  }

  private static void closeOne(Channel ch, List<PollHandler> polls) {
    if (!ch.isActive()) {
      return;
    }
    polls.forEach(PollHandler::answerNow);
    ch.pipeline().fireUserEventTriggered(ServerShutdown.INSTANCE);
  }
}
