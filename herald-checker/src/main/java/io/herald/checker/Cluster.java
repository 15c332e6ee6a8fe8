package io.herald.checker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The system under test: one real redis-server and {@code n} Herald nodes, each node reached only
 * through its own {@link TcpProxy}. Every process and proxy is registered with the {@link Reaper},
 * so nothing outlives the JVM; {@link #close} kills them all at once.
 *
 * <p>Lifecycle methods are called by one thread at a time (setup, then the nemesis).
 */
final class Cluster implements AutoCloseable {
  private final RedisProcess redis;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<TcpProxy> proxies = new ArrayList<>();

  Cluster(Path dir, int nodeCount, String classpath, int historySize) {
    redis = new RedisProcess(NodeProcess.freePort(), dir);
    try {
      redis.start();
      List<String> args =
          List.of(
              "--broker",
              redis.uri(),
              "--history-size",
              Integer.toString(historySize),
              "--redis-command-timeout-millis",
              "1000",
              "--redis-head-check-millis",
              "1000",
              "--shutdown-seconds",
              "2",
              // SIGTERM drains as in production, but briefly: no load balancer reads /ready here,
              // so no delay; connections are closed spread over 2 s (1001 hints, herald.end)
              "--drain-delay-seconds",
              "0",
              "--drain-window-seconds",
              "2",
              "--io-threads",
              "2");
      for (int i = 0; i < nodeCount; i++) {
        NodeProcess node =
            new NodeProcess("n" + (i + 1), classpath, args, dir.resolve("n" + (i + 1) + ".log"));
        nodes.add(node);
        node.start();
        proxies.add(new TcpProxy(node.name(), node.port()));
      }
    } catch (IOException e) {
      close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  int size() {
    return nodes.size();
  }

  String nodeName(int i) {
    return nodes.get(i).name();
  }

  /** {@code http://127.0.0.1:<proxy port>} of node {@code i}. */
  String url(int i) {
    return "http://127.0.0.1:" + proxies.get(i).port();
  }

  RedisProcess redis() {
    return redis;
  }

  TcpProxy proxy(int i) {
    return proxies.get(i);
  }

  /** SIGKILL (or SIGTERM when {@code graceful}) node {@code i}. */
  void stopNode(int i, boolean graceful) {
    if (graceful) {
      nodes.get(i).terminate();
    } else {
      nodes.get(i).kill();
    }
  }

  /** Starts node {@code i} again and points its proxy at it. */
  void startNode(int i) {
    NodeProcess node = nodes.get(i);
    node.start();
    proxies.get(i).target(node.port());
  }

  @Override
  public void close() {
    for (TcpProxy p : proxies) {
      p.close();
    }
    for (NodeProcess n : nodes) {
      n.close();
    }
    redis.close();
  }
}
