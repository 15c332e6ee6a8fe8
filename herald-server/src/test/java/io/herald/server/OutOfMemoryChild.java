package io.herald.server;

import io.herald.server.internal.FailFast;
import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of {@link FailFastIT}: starts a real server, then runs out of memory in a thread of
 * its own ({@code thread}) or hands an {@code OutOfMemoryError} to the fail-fast check as a
 * connection's {@code exceptionCaught} does ({@code cause}). Prints "still alive" if it survives.
 */
public final class OutOfMemoryChild {
  private OutOfMemoryChild() {}

  public static void main(String[] args) throws Exception {
    HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
    if (args[0].equals("thread")) {
      Thread hog =
          new Thread(
              () -> {
                List<byte[]> held = new ArrayList<>();
                while (true) {
                  held.add(new byte[1024 * 1024]);
                }
              },
              "hog");
      hog.start();
      hog.join();
    } else {
      FailFast.check(new IllegalStateException("wrapped", new OutOfMemoryError("Java heap space")));
    }
    System.out.println("still alive");
    server.close();
    System.exit(0);
  }
}
