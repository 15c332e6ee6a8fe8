package io.herald.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback in front of a server, for tests: forwards bytes both ways, one thread per
 * direction, and can cut every connection it carries, gracefully (FIN), as a load balancer or a NAT
 * that drops a connection would. Thread-safe.
 */
final class LoopbackProxy implements AutoCloseable {
  private final int targetPort;
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** Starts a proxy on a free loopback port in front of {@code targetPort}. */
  LoopbackProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "loopback-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  /** {@code redis://127.0.0.1:PORT} of the proxy. */
  String uri() {
    return "redis://127.0.0.1:" + server.getLocalPort();
  }

  /** Closes every connection it carries (both sides); new connections are still accepted. */
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
        Socket client = server.accept();
        Socket target = new Socket();
        target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
        sockets.add(client);
        sockets.add(target);
        pump(client, target);
        pump(target, client);
      } catch (IOException e) {
        // closed, or the target refused: the client sees its connection closed
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
              }
            },
            "loopback-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    cutAll();
  }
}
