package io.herald.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on a free loopback port in front of one or more loopback servers, for tests: the one
 * proxy the test suites share (this module's test-jar is on the test class path of herald-server
 * and herald-browser-tests). It plays a load balancer (each new connection goes to the next target
 * in turn; {@link #targets} switches the targets, as a balancer does when a node stops being
 * ready), a network or NAT that drops connections ({@link #cutAll}, with a FIN or, if built with
 * {@link Builder#resetOnCut}, a reset), or a wire tap ({@link Builder#tap}) that sees every byte
 * relayed.
 *
 * <p>Bytes are forwarded as they come, one daemon thread per direction of each connection; when
 * either side ends, both sides are closed. A connection whose target refuses (within 5 s) is closed
 * at once. Thread-safe. Not for production: blocking I/O, two threads per connection.
 */
public final class LoopbackRelay implements AutoCloseable {
  private static final int CONNECT_TIMEOUT_MILLIS = 5000;
  private static final int BACKLOG = 200;

  /**
   * Sees the bytes of one direction of one connection, in order, before they are forwarded. Called
   * on that direction's thread only, so it may keep state without locking.
   */
  @FunctionalInterface
  public interface Tap {
    /** {@code len} bytes of {@code buf} from {@code off} are about to be forwarded. */
    void bytes(byte[] buf, int off, int len);
  }

  /** Makes a {@link Tap} for each direction of each new connection. */
  @FunctionalInterface
  public interface TapFactory {
    /**
     * @param toTarget true for what the client sends to the target, false for the answers
     */
    Tap open(boolean toTarget);
  }

  private static final Tap NO_TAP = (buf, off, len) -> {};

  private final String name;
  private final boolean reset;
  private final int maxConnections;
  private final TapFactory taps;
  private final ServerSocket listener;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger next = new AtomicInteger();
  private volatile int[] targetPorts;
  private volatile boolean closed;

  private LoopbackRelay(Builder b) {
    this.name = b.name;
    this.reset = b.reset;
    this.maxConnections = b.maxConnections;
    this.taps = b.taps;
    this.targetPorts = b.targetPorts;
    try {
      listener = new ServerSocket(0, BACKLOG, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread t = new Thread(this::acceptLoop, name + "-accept");
    t.setDaemon(true);
    t.start();
  }

  /**
   * A relay to the server on loopback port {@code targetPorts[0]}, or to several in turn (one new
   * connection each); configure it, then {@link Builder#start}.
   *
   * @throws IllegalArgumentException if no port is given
   */
  public static Builder to(int... targetPorts) {
    return new Builder(checked(targetPorts));
  }

  /** Options of a {@link LoopbackRelay}; defaults: FIN on cut, no connection limit, no tap. */
  public static final class Builder {
    private final int[] targetPorts;
    private String name = "loopback-relay";
    private boolean reset;
    private int maxConnections = Integer.MAX_VALUE;
    private TapFactory taps = toTarget -> NO_TAP;

    private Builder(int[] targetPorts) {
      this.targetPorts = targetPorts;
    }

    /** Prefix of its thread names. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** Closes cut connections with a reset (SO_LINGER 0), as a dropped network does, not a FIN. */
    public Builder resetOnCut() {
      this.reset = true;
      return this;
    }

    /** Refuses (closes at once) a new connection while {@code max} are open; at least 1. */
    public Builder maxConnections(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1, not " + max);
      }
      this.maxConnections = max;
      return this;
    }

    /** Shows every relayed byte to a tap made for each direction of each connection. */
    public Builder tap(TapFactory taps) {
      this.taps = taps;
      return this;
    }

    /**
     * Listens on a free loopback port and starts relaying.
     *
     * @throws UncheckedIOException if no port can be bound
     */
    public LoopbackRelay start() {
      return new LoopbackRelay(this);
    }
  }

  /** Its loopback port. */
  public int port() {
    return listener.getLocalPort();
  }

  /** {@code http://127.0.0.1:PORT} of the relay. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  /**
   * Sends new connections to these servers only (in turn) from now on; open connections stay where
   * they are.
   *
   * @throws IllegalArgumentException if no port is given
   */
  public void targets(int... ports) {
    this.targetPorts = checked(ports);
  }

  /** How many relayed connections (each counted once, both sides) are open now. */
  public int open() {
    return sockets.size() / 2;
  }

  /**
   * Closes every open connection, both sides (FIN, or reset if so built); new ones are accepted.
   */
  public void cutAll() {
    for (Socket s : sockets) {
      end(s);
    }
  }

  /** Stops accepting and cuts every open connection. Idempotent. */
  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    cutAll();
  }

  private static int[] checked(int[] ports) {
    if (ports.length == 0) {
      throw new IllegalArgumentException("at least one target port");
    }
    return ports.clone();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (listener.isClosed()) {
          return;
        }
        continue;
      }
      if (open() >= maxConnections) {
        end(client);
        continue;
      }
      int[] ports = targetPorts;
      int port = ports[Math.floorMod(next.getAndIncrement(), ports.length)];
      Socket target = new Socket();
      try {
        target.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MILLIS);
      } catch (IOException e) {
        end(client); // the client sees its connection closed, as with a refusing server
        end(target);
        continue;
      }
      sockets.add(client);
      sockets.add(target);
      pump(client, target, taps.open(true));
      pump(target, client, taps.open(false));
    }
  }

  private void pump(Socket from, Socket to, Tap tap) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  tap.bytes(buf, 0, n);
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // cut or closed: end both sides
              } finally {
                end(from);
                end(to);
              }
            },
            name + "-pump");
    t.setDaemon(true);
    t.start();
  }

  private void end(Socket s) {
    sockets.remove(s);
    if (reset) {
      try {
        s.setSoLinger(true, 0);
      } catch (IOException e) {
        // already closed
      }
    }
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }
}
