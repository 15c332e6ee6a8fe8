package io.herald.server.client;

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

/**
 * A TCP proxy on loopback in front of one server at a time, for tests: a load balancer that sends
 * new connections to its current target ({@link #target}, switched when a node stops being ready)
 * and can cut every connection it carries with a FIN, as a crashed node or a proxy that drops a
 * connection would. Two daemon threads per connection. Thread-safe.
 */
final class SwitchingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile int targetPort;
  private volatile boolean closed;

  SwitchingProxy(int targetPort) {
    this.targetPort = targetPort;
    try {
      listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread t = new Thread(this::acceptLoop, "switching-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  /** {@code http://127.0.0.1:PORT} of the proxy. */
  String baseUrl() {
    return "http://127.0.0.1:" + listener.getLocalPort();
  }

  /** Sends new connections to {@code port} from now on; open ones stay where they are. */
  void target(int port) {
    this.targetPort = port;
  }

  /** Closes every connection it carries (both sides, FIN); new connections are still accepted. */
  void cutAll() {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    sockets.clear();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket target = new Socket();
        try {
          target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
        } catch (IOException e) {
          client.close();
          continue;
        }
        sockets.add(client);
        sockets.add(target);
        pump(client, target);
        pump(target, client);
      } catch (IOException e) {
        // closed
      }
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
                // cut
              } finally {
                try {
                  from.close();
                  to.close();
                } catch (IOException e) {
                  // closing anyway
                }
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "switching-proxy-pump");
    t.setDaemon(true);
    t.start();
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
