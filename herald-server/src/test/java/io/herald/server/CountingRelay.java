package io.herald.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on a loopback port in front of a server that counts how often given strings pass
 * through it: in requests (such as {@code GET /channels/} or {@code If-None-Match:}) and in answers
 * (such as {@code HTTP/1.1 304}). Behind a proxy, it tells what reached the origin. Meant for
 * requests without a body, whose bytes are all head. Thread-safe; two threads per relayed
 * connection.
 */
final class CountingRelay implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final List<String> upstream;
  private final List<String> downstream;
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  /**
   * @param targetPort the origin's loopback port
   * @param upstream strings counted in what clients send
   * @param downstream strings counted in what the origin answers
   */
  CountingRelay(int targetPort, List<String> upstream, List<String> downstream) throws IOException {
    this.targetPort = targetPort;
    this.upstream = upstream;
    this.downstream = downstream;
    for (String s : upstream) {
      counts.put(s, new AtomicInteger());
    }
    for (String s : downstream) {
      counts.put(s, new AtomicInteger());
    }
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "counting-relay");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  /** How often {@code s} (one of the strings given) went through so far. */
  int count(String s) {
    return counts.get(s).get();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket in = listener.accept();
        Socket out = new Socket();
        out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
        sockets.add(in);
        sockets.add(out);
        pump(in, out, upstream);
        pump(out, in, downstream);
      } catch (IOException e) {
        // closed, or the target refused: the client sees its connection closed
      }
    }
  }

  private void pump(Socket from, Socket to, List<String> patterns) {
    int longest = patterns.stream().mapToInt(String::length).max().orElse(1);
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16384];
              String tail = ""; // the last bytes of the previous read, for matches across reads
              try (InputStream is = from.getInputStream();
                  OutputStream os = to.getOutputStream()) {
                int n;
                while ((n = is.read(buf)) > 0) {
                  String text = tail + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                  for (String p : patterns) {
                    for (int i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + 1)) {
                      if (i + p.length() > tail.length()) { // not counted with the last read
                        counts.get(p).incrementAndGet();
                      }
                    }
                  }
                  tail = text.substring(Math.max(0, text.length() - (longest - 1)));
                  os.write(buf, 0, n);
                  os.flush();
                }
              } catch (IOException e) {
                // one side closed
              } finally {
                try {
                  from.close();
                  to.close();
                } catch (IOException e) {
                  // already closed
                }
              }
            },
            "counting-relay-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
