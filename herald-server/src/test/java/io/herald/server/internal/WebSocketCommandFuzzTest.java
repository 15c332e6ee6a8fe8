package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.junit.Lifecycle;
import com.fasterxml.jackson.databind.JsonNode;
import io.herald.core.HistoryConfig;
import io.herald.core.Hub;
import io.herald.core.Json;
import io.herald.core.MemoryBroker;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the WebSocket command parser (PROTOCOL.md section 7): a connection upgraded on {@code /ws}
 * through the pipeline a plain connection has, built by {@link ServerInitializer} itself ({@link
 * ConnectionGuard}, {@link Http1Codec}, {@link BodyAggregator}, {@link HttpRouter}, then {@link
 * WebSocketTransport}) in an {@link EmbeddedChannel}, over a real {@link Hub} and {@link
 * MemoryBroker}, fresh for each input. Each line of the input is the payload of one masked text
 * frame from the client, so a corpus file reads as a session: one command per line. The rules:
 *
 * <ul>
 *   <li>nothing escapes the handler and nothing is logged at ERROR;
 *   <li>every data frame the server sends is a JSON text frame with a string {@code type};
 *   <li>every command gets exactly one reply ({@code subscribed}, {@code unsubscribed}, {@code
 *       published}, {@code pong} or {@code error}) carrying the command's {@code id} when it had a
 *       number or string one, unless the server closed the connection;
 *   <li>every buffer the pipeline allocated is released.
 * </ul>
 *
 * Without {@code JAZZER_FUZZ} it replays the committed inputs in {@code
 * src/test/resources/io/herald/server/internal/WebSocketCommandFuzzTestInputs/}.
 */
@Timeout(30)
@ExtendWith(LeakDetection.class)
class WebSocketCommandFuzzTest {
  private static final Set<String> REPLIES =
      Set.of("subscribed", "unsubscribed", "published", "pong", "connected", "refreshed", "error");
  private static final int MAX_FRAMES = 32;
  private static ErrorLog errors;

  private Hub hub;
  private ServerContext server;

  @BeforeAll
  static void recordErrors() {
    errors = ErrorLog.install();
  }

  @AfterAll
  static void stopRecordingErrors() {
    errors.uninstall();
  }

  @BeforeEach
  void startHub() {
    ServerConfig config =
        ServerConfig.builder()
            .maxMessageBytes(256)
            .maxChannelsPerSubscription(4)
            .maxFrameBytes(4096)
            .build();
    hub =
        new Hub(
            new MemoryBroker(HistoryConfig.DEFAULT), HistoryConfig.DEFAULT, Duration.ofSeconds(60));
    hub.start();
    server = new ServerContext(config, hub);
    errors.clear();
  }

  @AfterEach
  void closeHub() {
    hub.close();
  }

  @FuzzTest(maxDuration = "30s", lifecycle = Lifecycle.PER_EXECUTION)
  @DictionaryEntries({
    "{\"type\":\"subscribe\",\"channel\":\"a\"}",
    "{\"type\":\"unsubscribe\",\"channel\":\"a\"}",
    "{\"type\":\"publish\",\"channel\":\"a\",\"data\":",
    "{\"type\":\"ping\"}",
    "\"type\":",
    "\"id\":",
    "\"since\":",
    "\"event\":",
    "\"data\":",
    "\"channel\":",
    "\"subscribe\"",
    "\"unsubscribe\"",
    "\"publish\"",
    "\"ping\"",
    "\"k3f9:0\"",
    "1e400",
    "null",
  })
  void everyCommandGetsOneReplyAndNothingLeaks(byte[] input) throws IOException {
    exchange(
        c -> {
          c.upgrade();
          for (byte[] payload : lines(input)) {
            if (!c.server.isOpen()) {
              break;
            }
            List<JsonNode> frames = c.send(payload);
            if (!c.server.isOpen() || c.closed) {
              continue; // a close instead of a reply
            }
            List<JsonNode> replies =
                frames.stream().filter(f -> REPLIES.contains(f.get("type").asText())).toList();
            assertThat(replies).as("replies to %s", printable(payload)).hasSize(1);
            JsonNode id = idOf(payload);
            if (id != null) {
              assertThat(replies.get(0).get("id"))
                  .as("id of the reply to %s", printable(payload))
                  .isEqualTo(id);
            }
          }
        });
  }

  /**
   * Raw client bytes after the upgrade: frames of any opcode, masked or not, fragmented, too long,
   * or garbage. The server answers with well-formed frames or closes; nothing escapes, nothing is
   * logged at ERROR, nothing leaks.
   */
  @FuzzTest(maxDuration = "30s", lifecycle = Lifecycle.PER_EXECUTION)
  void anyBytesAfterTheUpgradeGetFramesOrACloseAndLeakNothing(byte[] input) throws IOException {
    exchange(
        c -> {
          c.upgrade();
          c.server.writeInbound(Unpooled.wrappedBuffer(input));
          c.server.runPendingTasks();
          c.drain();
        });
  }

  /**
   * One binary frame from the client (PROTOCOL.md section 11: 4 bytes big-endian N, N bytes of the
   * publish command's JSON, then the data) on a {@code /ws?binary=1} connection: it gets exactly
   * one reply ({@code published} or {@code error}) unless the server closed the connection, and the
   * connection then still answers a ping; nothing escapes, nothing is logged at ERROR, nothing
   * leaks.
   */
  @FuzzTest(maxDuration = "30s", lifecycle = Lifecycle.PER_EXECUTION)
  @DictionaryEntries({
    "\u0000\u0000\u0000",
    "{\"type\":\"publish\",\"channel\":\"a\"}",
    "\"contentType\":",
    "\"application/octet-stream\"",
    "\"text/plain\"",
    "\"data\":",
    "\"id\":",
  })
  void everyBinaryFrameGetsOneReplyAndNothingLeaks(byte[] input) throws IOException {
    exchange(
        c -> {
          c.upgrade("/ws?binary=1");
          List<JsonNode> frames =
              c.sendFrame(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(input)));
          if (c.server.isOpen() && !c.closed) {
            List<JsonNode> replies =
                frames.stream().filter(f -> REPLIES.contains(f.get("type").asText())).toList();
            assertThat(replies).as("replies to a binary frame").hasSize(1);
            List<JsonNode> pong =
                c.send("{\"type\":\"ping\",\"id\":\"after\"}".getBytes(StandardCharsets.UTF_8));
            if (c.server.isOpen() && !c.closed) {
              assertThat(pong).extracting(f -> f.get("type").asText()).containsExactly("pong");
            }
          }
        });
  }

  /** What a test does on one connection. */
  @FunctionalInterface
  private interface Exchange {
    void run(Connection c) throws IOException;
  }

  /**
   * Runs {@code exchange} on a new connection, then closes it and checks the rules every target
   * shares: nothing escaped the pipeline, no inbound message was left unhandled, every buffer was
   * released, nothing was logged at ERROR.
   */
  private void exchange(Exchange exchange) throws IOException {
    Connection c = new Connection(server);
    try {
      exchange.run(c);
      c.server.close();
      c.server.runPendingTasks();
      c.drain();
      c.server.checkException();
      assertThat(c.server.inboundMessages()).as("inbound messages nobody handled").isEmpty();
    } finally {
      c.server.finishAndReleaseAll();
      c.clientEncoder.finishAndReleaseAll();
      c.clientDecoder.finishAndReleaseAll();
    }
    c.alloc.assertAllReleased();
    errors.assertNone();
  }

  /** The command's id when it is an object with a number or string {@code id}, else null. */
  private static JsonNode idOf(byte[] payload) {
    try {
      JsonNode node = Json.MAPPER.readTree(payload);
      JsonNode id = node == null ? null : node.get("id");
      return id != null && (id.isNumber() || id.isTextual()) ? id : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static List<byte[]> lines(byte[] input) {
    List<byte[]> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= input.length && out.size() < MAX_FRAMES; i++) {
      if (i == input.length || input[i] == '\n') {
        out.add(Arrays.copyOfRange(input, start, i));
        start = i + 1;
      }
    }
    return out;
  }

  private static String printable(byte[] payload) {
    return new String(payload, StandardCharsets.UTF_8);
  }

  /** A client on one upgraded connection: masked frames out, the server's frames decoded. */
  private static final class Connection {
    final TrackingAllocator alloc = new TrackingAllocator();
    final EmbeddedChannel server;
    final EmbeddedChannel clientEncoder = new EmbeddedChannel(new WebSocket08FrameEncoder(true));
    final EmbeddedChannel clientDecoder =
        new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 20));
    boolean closed;

    /** The pipeline of a plain connection, built by {@link ServerInitializer} itself. */
    Connection(ServerContext context) {
      ServerInitializer initializer =
          new ServerInitializer(context, new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
      server =
          new EmbeddedChannel(
              new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel c) {
                  c.config().setAllocator(alloc);
                  initializer.init(c);
                }
              });
    }

    void upgrade() {
      upgrade("/ws");
    }

    void upgrade(String target) {
      server.writeInbound(
          Unpooled.copiedBuffer(
              "GET "
                  + target
                  + " HTTP/1.1\r\n"
                  + "Host: x\r\n"
                  + "Upgrade: websocket\r\n"
                  + "Connection: Upgrade\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  + "Sec-WebSocket-Version: 13\r\n"
                  + "\r\n",
              StandardCharsets.US_ASCII));
      server.runPendingTasks();
      ByteBuf head = server.readOutbound();
      try {
        assertThat(head.toString(StandardCharsets.US_ASCII))
            .startsWith("HTTP/1.1 101 Switching Protocols\r\n");
      } finally {
        head.release();
      }
    }

    /** Sends one text frame and returns the JSON frames the server sent back. */
    List<JsonNode> send(byte[] payload) throws IOException {
      return sendFrame(new TextWebSocketFrame(Unpooled.wrappedBuffer(payload)));
    }

    /** Sends one frame and returns the JSON frames the server sent back. */
    List<JsonNode> sendFrame(WebSocketFrame frame) throws IOException {
      clientEncoder.writeOutbound(frame);
      ByteBuf wire;
      while ((wire = clientEncoder.readOutbound()) != null) {
        server.writeInbound(wire);
      }
      server.runPendingTasks();
      return drain();
    }

    List<JsonNode> drain() throws IOException {
      List<JsonNode> frames = new ArrayList<>();
      Object o;
      while ((o = server.readOutbound()) != null) {
        clientDecoder.writeInbound(o);
      }
      WebSocketFrame f;
      while ((f = clientDecoder.readInbound()) != null) {
        try {
          if (f instanceof CloseWebSocketFrame) {
            closed = true;
            continue;
          }
          if (f instanceof PingWebSocketFrame || f instanceof PongWebSocketFrame) {
            continue;
          }
          assertThat(f).as("the server sends text frames").isInstanceOf(TextWebSocketFrame.class);
          JsonNode node = Json.MAPPER.readTree(((TextWebSocketFrame) f).text());
          assertThat(node.isObject()).as("frame %s", node).isTrue();
          assertThat(node.path("type").isTextual()).as("type in %s", node).isTrue();
          frames.add(node);
        } finally {
          ReferenceCountUtil.release(f);
        }
      }
      return frames;
    }
  }
}
