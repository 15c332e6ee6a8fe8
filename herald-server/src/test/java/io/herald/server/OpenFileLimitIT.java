package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server started under {@code ulimit -n 256} with {@code --max-connections 1000} (a child JVM
 * from {@code herald.jar}, as an operator would start it; the test classpath's logging config is
 * not the product's): it warns, lowers its connection limit to the limit minus the headroom, states
 * it in the start-up line, and a client past that limit gets {@code 503 over_capacity} instead of
 * hanging.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenFileLimitIT {
  private static final Pattern LISTENING =
      Pattern.compile("Herald listening on http://127\\.0\\.0\\.1:(\\d+) .*max connections (\\d+)");

  /** Reads what has arrived on each socket without blocking; returns how many have an answer. */
  private static int answers(List<Socket> sockets, String[] firstBytes) throws java.io.IOException {
    int n = 0;
    for (int i = 0; i < sockets.size(); i++) {
      InputStream in = sockets.get(i).getInputStream();
      int available = in.available();
      if (available > 0) {
        String more = new String(in.readNBytes(available), StandardCharsets.US_ASCII);
        firstBytes[i] = firstBytes[i] == null ? more : firstBytes[i] + more;
      }
      if (firstBytes[i] != null) {
        n++;
      }
    }
    return n;
  }

  @Test
  void anOpenFileLimitBelowMaxConnectionsLowersTheLimitWithAWarningAndRefusesPastIt()
      throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    String cmd =
        "ulimit -n 256 && exec '"
            + java
            + "' -Xmx256m -jar '"
            + Path.of(System.getProperty("user.dir"), "target", "herald.jar")
            + "' serve --port 0 --max-connections 1000";
    Process p = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true).start();
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (java.io.IOException e) {
                // the child ended
              }
            },
            "child-log");
    reader.setDaemon(true);
    reader.start();
    List<Socket> sockets = new ArrayList<>();
    try {
      StringBuilder log = new StringBuilder();
      Matcher listening = null;
      while (listening == null) {
        String line = lines.poll(60, TimeUnit.SECONDS);
        assertThat(line).as("the start-up line within 60 s; so far:\n" + log).isNotNull();
        log.append(line).append('\n');
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          listening = m;
        }
      }
      assertThat(log.toString())
          .contains("WARN")
          .contains("the open-file limit is 256 but --max-connections 1000 needs 1100")
          .contains("lowering the connection limit to 156");
      assertThat(listening.group(0)).contains("max connections 156");
      int port = Integer.parseInt(listening.group(1));
      // 160 clients at once: the 4 past the lowered limit get 503 (which 4 depends on which event
      // loop counts first), the others are served
      for (int i = 0; i < 160; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        sockets.add(s);
      }
      String[] firstBytes = new String[sockets.size()];
      await()
          .atMost(Duration.ofSeconds(9)) // before the 10 s request-head timeout answers the rest
          .pollInterval(Duration.ofMillis(100))
          .until(() -> answers(sockets, firstBytes) >= 4);
      assertThat(answers(sockets, firstBytes)).isEqualTo(4);
      for (String answer : firstBytes) {
        if (answer != null) {
          assertThat(answer).startsWith("HTTP/1.1 503").contains("over_capacity");
        }
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }
}
