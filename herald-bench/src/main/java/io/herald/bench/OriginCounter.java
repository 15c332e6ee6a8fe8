package io.herald.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A TCP relay between a caching proxy and the origin ({@code --origin-relay LISTEN:TARGET}) that
 * counts what reaches the origin: requests whose line starts with {@code GET /channels/} (short
 * polls; they have no body), per wall-clock second, and the bytes the origin answers. Point the
 * proxy's upstream at LISTEN. Plain blocking sockets, two threads per relayed connection (a proxy
 * keeps few upstream connections). Thread-safe.
 */
final class OriginCounter implements AutoCloseable {
  private static final String POLL = "GET /channels/";
  private static final String NOT_MODIFIED = "HTTP/1.1 304";

  private final ServerSocket listener;
  private final int targetPort;
  private final ConcurrentSkipListMap<Long, AtomicLong> pollsPerSecond =
      new ConcurrentSkipListMap<>();
  private final LongAdder polls = new LongAdder();
  private final LongAdder notModified = new LongAdder();
  private final LongAdder bytesAnswered = new LongAdder();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  /**
   * Listens on loopback {@code listenPort} and relays to loopback {@code targetPort}.
   *
   * @throws IOException when the port cannot be bound
   */
  OriginCounter(int listenPort, int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(listenPort, 128, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "origin-counter");
    t.setDaemon(true);
    t.start();
  }

  /** Parses {@code LISTEN:TARGET} (two loopback ports). */
  static OriginCounter parse(String spec) throws IOException {
    String[] p = spec.split(":");
    if (p.length != 2) {
      throw new IllegalArgumentException(
          "--origin-relay takes LISTEN_PORT:TARGET_PORT (loopback), got " + spec);
    }
    return new OriginCounter(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket in = listener.accept();
        Socket out = new Socket();
        out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
        sockets.add(in);
        sockets.add(out);
        pump(in, out, true);
        pump(out, in, false);
      } catch (IOException e) {
        // closed, or the origin refused: the proxy sees its connection closed
      }
    }
  }

  private void pump(Socket from, Socket to, boolean requests) {
    String pattern = requests ? POLL : NOT_MODIFIED;
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[65536];
              String tail = "";
              try (InputStream is = from.getInputStream();
                  OutputStream os = to.getOutputStream()) {
                int n;
                while ((n = is.read(buf)) > 0) {
                  String text = tail + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                  for (int i = text.indexOf(pattern); i >= 0; i = text.indexOf(pattern, i + 1)) {
                    if (i + pattern.length() > tail.length()) {
                      if (requests) {
                        polls.increment();
                        pollsPerSecond
                            .computeIfAbsent(
                                System.currentTimeMillis() / 1000, k -> new AtomicLong())
                            .incrementAndGet();
                      } else {
                        notModified.increment();
                      }
                    }
                  }
                  tail = text.substring(Math.max(0, text.length() - (pattern.length() - 1)));
                  if (!requests) {
                    bytesAnswered.add(n);
                  }
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
            "origin-counter-pump");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Prints the polls that reached the origin: in total, per second (mean over the seconds from the
   * first to the last poll, and the most in one second), how many it answered 304, and the bytes it
   * answered.
   */
  void print(PrintStream out) {
    long first = pollsPerSecond.isEmpty() ? 0 : pollsPerSecond.firstKey();
    long last = pollsPerSecond.isEmpty() ? 0 : pollsPerSecond.lastKey();
    long seconds = last - first + 1;
    long max = pollsPerSecond.values().stream().mapToLong(AtomicLong::get).max().orElse(0);
    out.printf(
        "origin: %d polls reached the origin over %d s: %.2f/s on average, at most %d in one"
            + " second; %d answered 304; %d bytes answered by the origin%n",
        polls.sum(),
        seconds,
        polls.sum() / (double) seconds,
        max,
        notModified.sum(),
        bytesAnswered.sum());
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
