package io.herald.browser;

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
 * A TCP proxy on loopback between the browser and a server, so a test can cut every connection
 * (with a reset, as a dropped network does) while the server and its history live on. Given several
 * servers, it hands each new connection to the next one in turn, as a round-robin load balancer
 * does. At most {@value #MAX_CONNECTIONS} connections at once; two daemon threads per connection.
 * Thread-safe.
 */
final class TcpProxy implements AutoCloseable {
  static final int MAX_CONNECTIONS = 64;

  private final ServerSocket listener;
  private volatile int[] targetPorts;
  private final AtomicInteger next = new AtomicInteger();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** A proxy to one server, or to several in turn (one new connection each). */
  TcpProxy(int... targetPorts) {
    if (targetPorts.length == 0) {
      throw new IllegalArgumentException("at least one target port");
    }
    this.targetPorts = targetPorts.clone();
    try {
      listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Sends new connections to these servers only (in turn) from now on, as a load balancer does when
   * a node stops being ready; open connections stay where they are.
   */
  void targets(int... ports) {
    if (ports.length == 0) {
      throw new IllegalArgumentException("at least one target port");
    }
    this.targetPorts = ports.clone();
  }

  /** {@code http://127.0.0.1:PORT} of the proxy. */
  String baseUrl() {
    return "http://127.0.0.1:" + listener.getLocalPort();
  }

  /** How many connections (each counted once, both sides) are open now. */
  int open() {
    return sockets.size() / 2;
  }

  /**
   * Resets every open connection, both to the browser and to the server. New connections are
   * accepted.
   */
  void cutAll() {
    for (Socket s : sockets) {
      abort(s);
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      if (sockets.size() / 2 >= MAX_CONNECTIONS) {
        abort(client);
        continue;
      }
      Socket server = new Socket();
      int[] ports = targetPorts;
      int targetPort = ports[Math.floorMod(next.getAndIncrement(), ports.length)];
      try {
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
      } catch (IOException e) {
        abort(client);
        continue;
      }
      sockets.add(client);
      sockets.add(server);
      pump(client, server);
      pump(server, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // cut or closed: end both sides
              } finally {
                abort(from);
                abort(to);
              }
            },
            "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void abort(Socket s) {
    sockets.remove(s);
    try {
      s.setSoLinger(true, 0); // close with a reset
    } catch (IOException e) {
      // already closed
    }
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

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
}
