package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Client mistakes do not fill the log: at the production level (INFO), 3,000 bad requests write no
 * line each and no stack trace, only the periodic summary of refusals.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class QuietLogsIT {
  private static final Pattern COUNT = Pattern.compile("=(\\d+)");

  @Test
  void threeThousandBadRequestsWriteOnlyTheSummaryLine() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger herald = (Logger) LoggerFactory.getLogger("io.herald");
    Level before = herald.getLevel();
    List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
    AppenderBase<ILoggingEvent> capture =
        new AppenderBase<>() {
          @Override
          protected void append(ILoggingEvent e) {
            events.add(e);
          }
        };
    capture.start();
    root.addAppender(capture);
    herald.setLevel(Level.INFO);
    try (HeraldServer server =
        HeraldServer.start(
            ServerConfig.builder()
                .port(0)
                .maxHeaderBytes(4096)
                .refusalLogInterval(Duration.ofSeconds(1))
                .build())) {
      events.clear();
      int bad = 0;
      try (Socket s = new Socket()) {
        s.setSoTimeout(10_000);
        s.connect(server.address());
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        for (int i = 0; i < 2_900; i++) {
          String path =
              switch (i % 3) {
                case 0 -> "/channels/a%zz" + i;
                case 1 -> "/channels/bad!name" + i;
                default -> "/missing" + i + ".js";
              };
          out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes());
          assertThat(readResponse(in)).matches("(?s)HTTP/1.1 (400|404) .*");
          bad++;
        }
      }
      String[] closing = {
        "NOT HTTP AT ALL\r\n\r\n",
        "GET /health HTTP/1.1\r\nX-Big: " + "a".repeat(5000) + "\r\n\r\n",
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
        "POST /channels/x HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n"
      };
      for (int i = 0; i < 100; i++) {
        try (Socket s = new Socket()) {
          s.setSoTimeout(10_000);
          s.connect(server.address());
          s.getOutputStream().write(closing[i % closing.length].getBytes());
          assertThat(readResponse(s.getInputStream())).matches("(?s)HTTP/1.1 4\\d\\d .*");
          bad++;
        }
      }
      assertThat(bad).isEqualTo(3_000);
      // every refusal is counted in a summary line
      await().atMost(Duration.ofSeconds(10)).until(() -> refusedInSummaries(events) == 3_000);
      List<String> lines = events.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(events).allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
      assertThat(lines).allSatisfy(l -> assertThat(l).startsWith("refused in the last"));
      String all = String.join("\n", lines);
      assertThat(all)
          .contains("400 invalid_request=")
          .contains("400 invalid_channel=")
          .contains("404 not_found=")
          .contains("431 headers_too_large=")
          .contains("413 message_too_large=");
      // a few summary lines for 3,000 refusals
      assertThat(lines.size()).isLessThanOrEqualTo(15);
    } finally {
      herald.setLevel(before);
      root.detachAppender(capture);
    }
  }

  private static long refusedInSummaries(List<ILoggingEvent> events) {
    long n = 0;
    for (ILoggingEvent e : events) {
      Matcher m = COUNT.matcher(e.getFormattedMessage());
      while (m.find()) {
        n += Long.parseLong(m.group(1));
      }
    }
    return n;
  }

  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString(StandardCharsets.US_ASCII);
      }
      head.write(b);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
