package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.herald.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Pipelined requests behind a parked long poll, over a real socket (RFC 9112 section 9.3.2: the
 * answers come in the order of the requests). The fuzz finding this guards against: a long poll
 * with {@code Expect: 100-continue} and {@code Prefer: wait}, then a {@code HEAD}, in one write.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class PipelinedLongPollIT {

  @Test
  void aHeadPipelinedAfterAParkedLongPollWithExpectContinueIsAnsweredAfterThePoll()
      throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build())) {
      String ch = channel("pipelined-poll");
      String cursor =
          Json.MAPPER
              .readTree(get(server.baseUrl() + "/channels/" + ch).body())
              .get("cursor")
              .asText();
      try (Socket s = new Socket()) {
        s.setSoTimeout(20_000);
        s.connect(server.address());
        s.getOutputStream()
            .write(
                ("GET /channels/"
                        + ch
                        + "?since="
                        + URLEncoder.encode(cursor, StandardCharsets.UTF_8)
                        + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nPrefer: wait=2\r\n\r\n"
                        + "HEAD /herald.js HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        String interim = readHead(in);
        assertThat(interim).as("the interim answer first").startsWith("HTTP/1.1 100");
        String poll = readHead(in);
        assertThat(poll).as("then the long poll's answer").startsWith("HTTP/1.1 200");
        assertThat(poll).containsIgnoringCase("content-type: application/json");
        String body = new String(in.readNBytes(contentLength(poll)), StandardCharsets.UTF_8);
        assertThat(Json.MAPPER.readTree(body).get("messages").size()).isZero();
        String head = readHead(in);
        assertThat(head).as("then the HEAD's").startsWith("HTTP/1.1 200");
        assertThat(head).containsIgnoringCase("javascript");
      }
    }
  }

  @Test
  void aTooLargePublicationPipelinedAfterAParkedLongPollIsRefusedAfterThePollIsAnswered()
      throws Exception {
    ServerConfig config = ServerConfig.builder().port(0).maxMessageBytes(1024).build();
    try (HeraldServer server = HeraldServer.start(config)) {
      String ch = channel("pipelined-413");
      try (Socket s = new Socket()) {
        s.setSoTimeout(20_000);
        s.connect(server.address());
        s.getOutputStream()
            .write(
                ("GET /channels/"
                        + ch
                        + " HTTP/1.1\r\nHost: x\r\nPrefer: wait=2\r\n\r\n"
                        + "POST /channels/"
                        + ch
                        + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                        + "Content-Length: 2000\r\n\r\n"
                        + "x".repeat(2000))
                    .getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        String poll = readHead(in);
        assertThat(poll).as("the long poll's answer first").startsWith("HTTP/1.1 200");
        String body = new String(in.readNBytes(contentLength(poll)), StandardCharsets.UTF_8);
        assertThat(Json.MAPPER.readTree(body).get("messages").size()).isZero();
        String refusal = readHead(in);
        assertThat(refusal).as("then the refusal").startsWith("HTTP/1.1 413");
      }
    }
  }

  /** One response head (status line and headers), without its body. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("a response head, got so far: %s", head).isNotEqualTo(-1);
      head.write(b);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    throw new AssertionError("no Content-Length in " + head);
  }
}
