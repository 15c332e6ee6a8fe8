package io.herald.checker;

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
 * A loopback TCP proxy in front of one node: clients connect to its fixed {@link #port()}, it
 * connects to the node's current port. On command it cuts every open connection ({@link #cutAll})
 * or stalls them ({@link #stall}: bytes stop flowing both ways, connections stay open) until {@link
 * #unstall}.
 *
 * <p>Thread-safe. Two daemon threads per connection copy bytes (blocking I/O).
 */
final class TcpProxy implements AutoCloseable {
  private final String name;
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Object stallLock = new Object();
  private volatile int targetPort;
  private volatile boolean stalled;
  private volatile boolean closed;

  TcpProxy(String name, int targetPort) throws IOException {
    this.name = name;
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Reaper.track(this);
    Thread t = new Thread(this::acceptLoop, "proxy-" + name + "-accept");
    t.setDaemon(true);
    t.start();
  }

  /** The port clients connect to; fixed for the proxy's life. */
  int port() {
    return server.getLocalPort();
  }

  /** Points new connections at the node's new port (after a restart). */
  void target(int port) {
    targetPort = port;
  }

  /** Closes every open connection (both sides); new connections are still accepted. */
  void cutAll() {
    for (Socket s : sockets) {
      closeQuietly(s);
    }
  }

  /** Stops forwarding bytes on every connection, old and new, until {@link #unstall}. */
  void stall() {
    stalled = true;
  }

  /** Forwards bytes again. */
  void unstall() {
    synchronized (stallLock) {
      stalled = false;
      stallLock.notifyAll();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      Thread t = new Thread(() -> connect(client), "proxy-" + name + "-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void connect(Socket client) {
    Socket upstream = new Socket();
    try {
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2_000);
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(upstream);
      return;
    }
    sockets.add(client);
    sockets.add(upstream);
    Thread back = new Thread(() -> pump(upstream, client), "proxy-" + name + "-down");
    back.setDaemon(true);
    back.start();
    pump(client, upstream);
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (true) {
        awaitUnstalled();
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        awaitUnstalled();
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // a cut or a closed peer ends the connection
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(from);
      sockets.remove(to);
    }
  }

  private void awaitUnstalled() throws InterruptedException {
    if (!stalled) {
      return;
    }
    synchronized (stallLock) {
      while (stalled && !closed) {
        stallLock.wait(100);
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    unstall();
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    cutAll();
    Reaper.untrack(this);
  }
}
