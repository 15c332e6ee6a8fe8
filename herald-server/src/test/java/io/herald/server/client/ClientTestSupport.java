package io.herald.server.client;

import io.herald.client.HeraldClient;
import io.herald.client.Published;
import io.herald.server.HeraldServer;
import io.herald.server.ServerConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A server on port 0 and a client tuned for tests (short intervals), shared by the client ITs. */
final class ClientTestSupport {
  private static final AtomicInteger CHANNELS = new AtomicInteger();

  private ClientTestSupport() {}

  /** A server on 127.0.0.1, port 0, with short heartbeats. */
  static HeraldServer server() {
    return HeraldServer.start(
        ServerConfig.builder()
            .host("127.0.0.1")
            .port(0)
            .sseHeartbeat(Duration.ofSeconds(1))
            // The JDK client keeps idle keep-alive connections, which the server's graceful
            // shutdown
            // waits for until this timeout.
            .shutdownTimeout(Duration.ofSeconds(2))
            .build());
  }

  /** A client with a 50 ms short-poll interval, 2 s long polls and a 100 ms reconnect delay. */
  static HeraldClient client(HeraldServer server) {
    return HeraldClient.builder(URI.create(server.baseUrl()))
        .shortPollInterval(Duration.ofMillis(50))
        .longPollWait(Duration.ofSeconds(2))
        .reconnectDelay(Duration.ofMillis(100))
        .requestTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** A channel name no other test uses. */
  static String channel(String prefix) {
    return prefix + "-" + ProcessHandle.current().pid() + "-" + CHANNELS.incrementAndGet();
  }

  /** Publishes {@code "<prefix><i>"} for i in [from, to], in order, waiting for each answer. */
  static List<Published> publish(
      HeraldClient client, String channel, String prefix, int from, int to) {
    List<Published> out = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      out.add(client.publishText(channel, null, prefix + i).join());
    }
    return out;
  }

  /** The offsets {@code from..to} as a list. */
  static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }
}
