package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.herald.core.HistoryConfig;
import io.herald.core.Hub;
import io.herald.core.MemoryBroker;
import io.herald.core.Message;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The WebSocket transport in an {@link EmbeddedChannel}: the RFC 6455 upgrade, then JSON commands
 * in masked client frames and the server's unmasked frames decoded back. The memory broker answers
 * at once, so every step runs on the embedded event loop.
 */
@Timeout(30)
@ExtendWith(LeakDetection.class)
class WebSocketTransportTest {
  private Hub hub;
  private EmbeddedChannel server;
  private final EmbeddedChannel clientEncoder =
      new EmbeddedChannel(new WebSocket08FrameEncoder(true));
  private final EmbeddedChannel clientDecoder =
      new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 20));

  @BeforeEach
  void setUp() {
    ServerConfig config = ServerConfig.builder().build();
    hub =
        new Hub(
            new MemoryBroker(HistoryConfig.DEFAULT), HistoryConfig.DEFAULT, Duration.ofSeconds(60));
    hub.start();
    server =
        new EmbeddedChannel(
            new HttpServerCodec(),
            new BodyAggregator(config.maxMessageBytes()),
            new HttpRouter(new ServerContext(config, hub)));
  }

  @AfterEach
  void tearDown() {
    hub.close();
    assertFalse(clientEncoder.finish());
    assertFalse(clientDecoder.finish());
  }

  @Test
  void upgradeBySubscriptionUrlThenSubscribedThenSharedPushFrames() {
    server.writeInbound(
        Unpooled.copiedBuffer(
            "GET /channels/room?since=0 HTTP/1.1\r\n" // subscribe to "room" from the start
                + "Host: x\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" // RFC 6455 section 1.3's sample
                // key
                + "Sec-WebSocket-Version: 13\r\n"
                + "\r\n",
            StandardCharsets.US_ASCII));
    server.runPendingTasks();
    String handshake = readRaw();
    assertThat(handshake)
        .startsWith("HTTP/1.1 101 Switching Protocols\r\n")
        .contains(
            "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"); // the sample's accept value
    String epoch = hub.broker().history("room", 0).join().epoch();
    assertThat(nextText())
        .isEqualTo(
            "{\"type\":\"subscribed\",\"channel\":\"room\",\"position\":\""
                + epoch
                + ":0\",\"recovered\":true}");

    Message published =
        hub.publish("room", "message", "{\"x\":1}".getBytes(StandardCharsets.UTF_8)).join();
    server.runPendingTasks();
    assertThat(nextText()).isEqualTo(new String(published.pushFrame(), StandardCharsets.UTF_8));

    send("{\"type\":\"ping\",\"id\":7}");
    assertThat(nextText()).isEqualTo("{\"type\":\"pong\",\"id\":7}");

    send("{\"type\":\"publish\",\"id\":\"a\",\"channel\":\"room\",\"data\":[1,2]}");
    String a = nextText();
    String b = nextText();
    assertThat(a + b)
        .contains(
            "{\"type\":\"published\",\"id\":\"a\",\"channel\":\"room\",\"offset\":2,\"epoch\":\""
                + epoch
                + "\"}")
        .contains("\"offset\":2,\"epoch\":\"" + epoch + "\",\"event\":\"message\",\"data\":[1,2]");

    send("{\"type\":\"subscribe\",\"id\":3}");
    assertThat(nextText())
        .startsWith("{\"type\":\"error\",\"id\":3,\"error\":{\"code\":\"invalid_request\"");

    clientEncoder.writeOutbound(new CloseWebSocketFrame(1000, "bye"));
    server.writeInbound((ByteBuf) clientEncoder.readOutbound());
    server.runPendingTasks();
    WebSocketFrame close = nextFrame();
    assertThat(close).isInstanceOf(CloseWebSocketFrame.class);
    assertThat(((CloseWebSocketFrame) close).statusCode()).isEqualTo(1000);
    close.release();
    assertThat(server.isOpen()).isFalse();
    assertFalse(server.finish());
  }

  private void send(String json) {
    clientEncoder.writeOutbound(new TextWebSocketFrame(json));
    ByteBuf wire;
    while ((wire = clientEncoder.readOutbound()) != null) {
      server.writeInbound(wire);
    }
    server.runPendingTasks();
  }

  private String nextText() {
    WebSocketFrame f = nextFrame();
    assertThat(f).isInstanceOf(TextWebSocketFrame.class);
    String text = ((TextWebSocketFrame) f).text();
    f.release();
    return text;
  }

  private WebSocketFrame nextFrame() {
    WebSocketFrame f = clientDecoder.readInbound();
    while (f == null) {
      ByteBuf wire = server.readOutbound();
      assertThat(wire).as("a frame from the server").isNotNull();
      clientDecoder.writeInbound(wire);
      f = clientDecoder.readInbound();
    }
    return f;
  }

  private String readRaw() {
    StringBuilder b = new StringBuilder();
    ByteBuf buf = server.readOutbound();
    b.append(buf.toString(StandardCharsets.US_ASCII));
    buf.release();
    return b.toString();
  }
}
