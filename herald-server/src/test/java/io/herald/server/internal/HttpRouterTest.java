package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.herald.core.HistoryConfig;
import io.herald.core.Hub;
import io.herald.core.MemoryBroker;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HTTP side of the server in an {@link EmbeddedChannel}: wire fixtures in, exact bytes out. The
 * memory broker answers at once, so every step runs on the embedded event loop.
 */
@Timeout(30)
@ExtendWith(LeakDetection.class)
class HttpRouterTest {
  private Hub hub;
  private ServerContext server;
  private EmbeddedChannel ch;

  @BeforeEach
  void setUp() {
    ServerConfig config =
        ServerConfig.builder().maxMessageBytes(16).sseRetry(Duration.ofMillis(1500)).build();
    hub =
        new Hub(
            new MemoryBroker(HistoryConfig.DEFAULT), HistoryConfig.DEFAULT, Duration.ofSeconds(60));
    hub.start();
    server = new ServerContext(config, hub);
    ch =
        new EmbeddedChannel(
            new HttpServerCodec(),
            new BodyAggregator(config.maxMessageBytes()),
            new HttpRouter(server));
  }

  @AfterEach
  void tearDown() {
    hub.close();
  }

  @Test
  void publishAnswers201WithChannelOffsetAndEpoch() {
    String response =
        exchange(
            "POST /channels/news HTTP/1.1\r\n" // publish to "news"
                + "Host: x\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: 7\r\n"
                + "\r\n"
                + "{\"a\":1}");
    String epoch = hub.broker().history("news", 0).join().epoch();
    assertThat(response)
        .startsWith("HTTP/1.1 201 Created\r\n")
        .endsWith("\r\n\r\n{\"channel\":\"news\",\"offset\":1,\"epoch\":\"" + epoch + "\"}");
    assertFalse(ch.finish());
  }

  @Test
  void shortPollAnswersEnvelopesAndCursor() {
    exchange(
        "POST /channels/feed HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");
    String epoch = hub.broker().history("feed", 0).join().epoch();
    long time = hub.broker().history("feed", 0).join().messages().get(0).time();
    String response = exchange("GET /channels/feed?since=0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(response)
        .endsWith(
            "\r\n\r\n"
                + "{\"messages\":[{\"channel\":\"feed\",\"offset\":1,\"epoch\":\""
                + epoch
                + "\",\"event\":\"message\",\"data\":\"hi\",\"time\":"
                + time
                + "}],"
                + "\"cursor\":\""
                + epoch
                + ":1\",\"recovered\":true}");
    assertFalse(ch.finish());
  }

  @Test
  void sseWritesRetrySubscribedThenOneEventPerMessage() {
    ch.writeInbound(
        ascii(
            "GET /channels/live HTTP/1.1\r\n" // subscribe to "live"
                + "Host: x\r\n"
                + "Accept: text/event-stream\r\n" // picks SSE
                + "\r\n"));
    ch.runPendingTasks();
    String epoch = hub.broker().history("live", 0).join().epoch();
    String head = drainOutbound();
    assertThat(head)
        .startsWith("HTTP/1.1 200 OK\r\n")
        .contains("content-type: text/event-stream\r\n")
        .contains("cache-control: no-cache\r\n");
    assertThat(head)
        .contains("transfer-encoding: chunked\r\n") // a cut is an error, never a clean end
        .endsWith(
            "\r\n\r\n"
                + chunk(
                    "retry: 1500\n" // EventSource reconnect delay
                        + "id: "
                        + epoch
                        + ":0\n" // the cursor at subscribe time
                        + "event: herald.subscribed\n"
                        + "data: {\"channels\":[\"live\"],\"cursor\":\""
                        + epoch
                        + ":0\",\"recovered\":true}\n"
                        + "\n"));
    hub.publish("live", "tick", "42".getBytes(StandardCharsets.UTF_8)).join();
    ch.runPendingTasks();
    long time = hub.broker().history("live", 0).join().messages().get(0).time();
    assertThat(drainOutbound())
        .isEqualTo(
            chunk(
                "id: "
                    + epoch
                    + ":1\n" // the cursor right after the message
                    + "event: tick\n" // named events get an event line
                    + "data: {\"channel\":\"live\",\"offset\":1,\"epoch\":\""
                    + epoch
                    + "\",\"event\":\"tick\",\"data\":42,\"time\":"
                    + time
                    + "}\n"
                    + "\n"));
    ch.close();
    ch.runPendingTasks();
    assertFalse(ch.finish());
  }

  @Test
  void sseEndsWithHeraldEndThenTheLastChunkAtShutdown() {
    ch.writeInbound(
        ascii("GET /channels/ending HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"));
    ch.runPendingTasks();
    assertThat(drainOutbound()).contains("event: herald.subscribed\n");
    ch.pipeline().fireUserEventTriggered(ServerShutdown.INSTANCE);
    ch.runPendingTasks();
    String end = drainOutbound();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "[0-9a-f]+\r\n" // one chunk:
                    + "retry: (\\d+)\n" // the jittered reconnect delay for EventSource
                    + "event: herald\\.end\n" // the explicit end, without an id
                    + "data: \\{\"reason\":\"draining\",\"retryAfterMillis\":(\\d+)\\}\n\n"
                    + "\r\n"
                    + "0\r\n\r\n") // the last chunk: a clean end
            .matcher(end);
    assertThat(m.matches()).as(end).isTrue();
    assertThat(m.group(1)).isEqualTo(m.group(2));
    assertThat(Long.parseLong(m.group(1))).isBetween(0L, (long) ServerShutdown.RETRY_JITTER_MILLIS);
    ch.runPendingTasks();
    assertThat(ch.isOpen()).isFalse();
    assertFalse(ch.finish());
  }

  /** {@code text} as one chunk of chunked transfer encoding (RFC 9112 section 7.1). */
  private static String chunk(String text) {
    return Integer.toHexString(text.getBytes(StandardCharsets.UTF_8).length)
        + "\r\n"
        + text
        + "\r\n";
  }

  @Test
  void bodyOverTheLimitGets413AndTheConnectionCloses() {
    String response =
        exchange(
            "POST /channels/big HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n\r\n12345678901234567");
    assertThat(response).startsWith("HTTP/1.1 413 ").contains("\"code\":\"message_too_large\"");
    assertThat(ch.isOpen()).isFalse();
    assertFalse(ch.finish());
  }

  @Test
  void wrongMethodGets405WithAllow() {
    String response = exchange("PUT /channels/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assertThat(response)
        .startsWith("HTTP/1.1 405 ")
        .contains("allow: GET, HEAD, POST, OPTIONS\r\n")
        .contains("\"code\":\"method_not_allowed\"");
    assertFalse(ch.finish());
  }

  private String exchange(String request) {
    ch.writeInbound(ascii(request));
    ch.runPendingTasks();
    return drainOutbound();
  }

  private String drainOutbound() {
    StringBuilder b = new StringBuilder();
    Object o;
    while ((o = ch.readOutbound()) != null) {
      ByteBuf buf = (ByteBuf) o;
      b.append(buf.toString(StandardCharsets.UTF_8));
      buf.release();
    }
    return b.toString();
  }

  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }
}
