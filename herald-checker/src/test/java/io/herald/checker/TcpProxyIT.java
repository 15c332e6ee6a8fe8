package io.herald.checker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fault-injecting proxy over real loopback sockets: it forwards, cuts and stalls. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpProxyIT {
  /** An echo server on a free loopback port; one thread per connection. */
  private static ServerSocket echo() throws IOException {
    ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!s.isClosed()) {
                try {
                  Socket c = s.accept();
                  Thread e =
                      new Thread(
                          () -> {
                            try (c) {
                              c.getInputStream().transferTo(c.getOutputStream());
                            } catch (IOException ignored) {
                              // closed
                            }
                          });
                  e.setDaemon(true);
                  e.start();
                } catch (IOException ignored) {
                  // closed
                }
              }
            });
    t.setDaemon(true);
    t.start();
    return s;
  }

  private static int roundTrip(Socket s, int b) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(b);
    out.flush();
    InputStream in = s.getInputStream();
    return in.read();
  }

  @Test
  void forwardsBytesBothWays() throws Exception {
    try (ServerSocket server = echo();
        TcpProxy proxy = new TcpProxy("t", server.getLocalPort());
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      s.setSoTimeout(5_000);
      assertThat(roundTrip(s, 42)).isEqualTo(42);
    }
  }

  @Test
  void cutAllEndsOpenConnectionsAndStillAcceptsNewOnes() throws Exception {
    try (ServerSocket server = echo();
        TcpProxy proxy = new TcpProxy("t", server.getLocalPort());
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      s.setSoTimeout(5_000);
      assertThat(roundTrip(s, 1)).isEqualTo(1);
      proxy.cutAll();
      assertThat(s.getInputStream().read()).isEqualTo(-1);
      try (Socket again = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
        again.setSoTimeout(5_000);
        assertThat(roundTrip(again, 2)).isEqualTo(2);
      }
    }
  }

  @Test
  void aStallHoldsBytesUntilUnstalled() throws Exception {
    try (ServerSocket server = echo();
        TcpProxy proxy = new TcpProxy("t", server.getLocalPort());
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      s.setSoTimeout(5_000);
      assertThat(roundTrip(s, 1)).isEqualTo(1);
      proxy.stall();
      s.setSoTimeout(300);
      assertThatThrownBy(() -> roundTrip(s, 2)).isInstanceOf(SocketTimeoutException.class);
      proxy.unstall();
      s.setSoTimeout(5_000);
      assertThat(s.getInputStream().read()).isEqualTo(2);
    }
  }
}
