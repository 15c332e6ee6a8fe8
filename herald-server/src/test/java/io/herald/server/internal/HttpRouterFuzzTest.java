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
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the HTTP side of a connection: arbitrary bytes from a client go into the pipeline every
 * connection has, built by {@link ServerInitializer} itself (connection limit, {@link
 * ConnectionGuard}, HTTP/2 preface detection, {@link Http1Codec}, {@link BodyAggregator}, Netty's
 * {@code FlowControlHandler}, {@link HttpRouter}), in an {@link EmbeddedChannel}, over a real
 * {@link Hub} and {@link MemoryBroker}, fresh for each input. Then time moves past every long-poll
 * wait, the client goes away, and the rules are checked:
 *
 * <ul>
 *   <li>no exception escapes the pipeline and nothing is logged at ERROR (a client's bytes are
 *       never a server fault);
 *   <li>what the server wrote parses as HTTP/1.1 responses (Netty's response decoder, told the
 *       request methods), each with a status code, a body framed by {@code Content-Length} unless
 *       the response is a stream, and the error shape of PROTOCOL.md section 8 on 4xx and 5xx;
 *   <li>no request is answered twice, and while the connection stays open every whole request that
 *       did not start a stream was answered;
 *   <li>every buffer the pipeline allocated, and the client's bytes, are released.
 * </ul>
 *
 * Without {@code JAZZER_FUZZ} it replays the committed inputs in {@code
 * src/test/resources/io/herald/server/internal/HttpRouterFuzzTestInputs/}.
 */
@Timeout(30)
@ExtendWith(LeakDetection.class)
class HttpRouterFuzzTest {
  private static final int MAX_MESSAGE_BYTES = 256;
  private static final int MAX_HEADER_BYTES = 1024;
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
            .maxMessageBytes(MAX_MESSAGE_BYTES)
            .maxHeaderBytes(MAX_HEADER_BYTES)
            .maxChannelsPerSubscription(4)
            .maxWait(Duration.ofSeconds(2))
            .pollLimit(5)
            .maxPollLimit(10)
            .adminPassword("fuzz-admin-password")
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
  // Jazzer writes these to a libFuzzer dictionary without escaping CR and LF: none here.
  @DictionaryEntries({
    "GET ",
    "POST ",
    "HEAD ",
    "OPTIONS ",
    " HTTP/1.1",
    " HTTP/1.0",
    "/channels/",
    "/ws",
    "/health",
    "/herald.js",
    "?since=",
    "&limit=",
    "?wait=",
    "&event=",
    "k3f9:0",
    "Host: x",
    "Content-Length: ",
    "Content-Type: application/json",
    "Content-Type: text/plain",
    "Transfer-Encoding: chunked",
    "Connection: close",
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Accept: text/event-stream",
    "Last-Event-ID: ",
    "Prefer: wait=1",
    "Expect: 100-continue",
    "%",
    "If-None-Match: *",
    "If-None-Match: ",
    "If-Modified-Since: Thu, 01 Jan 2099 00:00:00 GMT",
    "Accept-Encoding: gzip",
  })
  void anyBytesGetWellFormedAnswersOrACloseAndLeakNothing(byte[] input) {
    Exchange x = new Exchange(server);
    ByteBuf in = Unpooled.wrappedBuffer(input);
    try {
      x.ch.writeInbound(in);
      x.ch.runPendingTasks();
      // Past every long-poll wait and a few SSE heartbeats.
      x.ch.advanceTimeBy(server.config.maxWait().toSeconds() + 40, TimeUnit.SECONDS);
      x.ch.runPendingTasks();
      x.ch.runScheduledPendingTasks();
      boolean open = x.ch.isOpen();
      // Bytes a client sends after its upgrade request and before the 101 break RFC 6455 section
      // 4.1 ("the client MUST wait for a response from the server before sending any further
      // data"); the pipeline tail releases them (no leak), which is allowed on an upgraded one.
      boolean upgraded = x.ch.pipeline().get(WebSocketTransport.class) != null;
      // Bytes that open with the HTTP/2 preface made it an h2c connection: the HTTP/1.1 rules on
      // what was written do not apply (the other rules do).
      boolean h2 = x.ch.pipeline().get(MultiplexedConnection.class) != null;
      int whole = x.wholeRequests; // closing below may hand the router a last, failed request
      // The server shuts down: an SSE stream ends cleanly (herald.end, then the last chunk); a
      // chunked stream cut by a bare close would be, rightly, an incomplete response.
      x.ch.pipeline().fireUserEventTriggered(ServerShutdown.INSTANCE);
      x.ch.runPendingTasks();
      x.drainOutbound();
      x.ch.close();
      x.ch.runPendingTasks();
      x.drainOutbound();
      x.ch.checkException();
      if (open && !upgraded) {
        // On a closed connection Netty's pipeline tail releases what reaches it (for example
        // requests pipelined after a refused WebSocket upgrade); on an open one it is a bug.
        assertThat(x.ch.inboundMessages())
            .as("inbound messages nobody handled: %s", x.ch.inboundMessages())
            .isEmpty();
      }

      if (!h2) {
        List<FullHttpResponse> responses = x.responses();
        try {
          x.check(responses, open, whole);
        } finally {
          responses.forEach(ReferenceCountUtil::release);
        }
      }
    } finally {
      x.ch.finishAndReleaseAll();
    }
    if (input.length > 0) { // else Unpooled.EMPTY_BUFFER, which is never released
      assertThat(in.refCnt()).as("the client's bytes were released").isZero();
    }
    x.alloc.assertAllReleased();
    errors.assertNone();
  }

  /** One connection: the server's pipeline, what it wrote, and what went through it. */
  private static final class Exchange {
    final TrackingAllocator alloc = new TrackingAllocator();
    final List<HttpMethod> heads = new ArrayList<>();
    int wholeRequests;
    final ByteArrayOutputStream written = new ByteArrayOutputStream();
    final EmbeddedChannel ch;

    /**
     * The pipeline of a plain connection, built by {@link ServerInitializer} itself (connection
     * limit, {@link ConnectionGuard}, HTTP/2 preface detection, then the HTTP/1.1 handlers), with
     * two pass-through counters slipped in once the HTTP/1.1 handlers are there.
     */
    Exchange(ServerContext server) {
      ServerInitializer initializer =
          new ServerInitializer(server, new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
      Exchange x = this;
      ch =
          new EmbeddedChannel(
              new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel c) {
                  c.config().setAllocator(alloc);
                  initializer.init(c);
                  c.pipeline().addLast("counters", new AddCounters(x));
                }
              });
    }

    void drainOutbound() {
      Object o;
      while ((o = ch.readOutbound()) != null) {
        try {
          assertThat(o).as("the server writes bytes").isInstanceOf(ByteBuf.class);
          written.writeBytes(ByteBufUtil.getBytes((ByteBuf) o));
        } finally {
          ReferenceCountUtil.release(o);
        }
      }
    }

    /** What the server wrote, read by a response decoder that knows the request methods. */
    List<FullHttpResponse> responses() {
      EmbeddedChannel client =
          new EmbeddedChannel(new ResponseDecoder(heads), new HttpObjectAggregator(1 << 24));
      try {
        client.writeInbound(Unpooled.wrappedBuffer(written.toByteArray()));
        client.finish(); // a response that ends with the connection
        List<FullHttpResponse> out = new ArrayList<>();
        Object o;
        while ((o = client.readInbound()) != null) {
          if (o instanceof FullHttpResponse r) {
            out.add(r);
          } else {
            ReferenceCountUtil.release(o); // bytes after a 101: WebSocket frames
          }
        }
        return out;
      } finally {
        client.finishAndReleaseAll();
      }
    }

    void check(List<FullHttpResponse> responses, boolean openAfterwards, int wholeRequests) {
      int finals = 0;
      boolean streaming = false;
      for (FullHttpResponse r : responses) {
        assertThat(r.decoderResult().isSuccess())
            .as("response parses as HTTP/1.1: %s", r.decoderResult())
            .isTrue();
        int status = r.status().code();
        assertThat(status).isBetween(100, 599);
        if (status < 200) {
          streaming |= status == 101;
          continue;
        }
        finals++;
        boolean sse =
            r.headers().containsValue(HttpHeaderNames.CONTENT_TYPE, "text/event-stream", true);
        streaming |= sse;
        if (sse && status == 200) {
          assertThat(r.content().toString(StandardCharsets.UTF_8))
              .as("a clean end of an SSE stream is announced")
              .contains("event: herald.end\n");
        }
        if (!sse && !HttpUtil.isTransferEncodingChunked(r) && status != 204 && status != 304) {
          assertThat(r.headers().contains(HttpHeaderNames.CONTENT_LENGTH))
              .as("%d response framed by Content-Length", status)
              .isTrue();
        }
        if (status >= 400 && r.content().isReadable()) {
          assertErrorShape(r);
        }
      }
      assertThat(finals)
          .as("answers, for %d request heads", heads.size())
          .isLessThanOrEqualTo(heads.size());
      if (openAfterwards && !streaming) {
        assertThat(finals)
            .as("answers on a connection left open, for %d whole requests", wholeRequests)
            .isGreaterThanOrEqualTo(wholeRequests);
      }
    }

    private static void assertErrorShape(FullHttpResponse r) {
      assertThat(r.headers().get(HttpHeaderNames.CONTENT_TYPE))
          .isEqualTo(HttpHeaderValues.APPLICATION_JSON.toString());
      JsonNode body;
      try {
        body = Json.MAPPER.readTree(r.content().toString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new AssertionError("error body is not JSON", e);
      }
      assertThat(body.path("error").path("code").isTextual()).as("error.code in %s", body).isTrue();
      assertThat(body.path("error").path("message").isTextual())
          .as("error.message in %s", body)
          .isTrue();
    }
  }

  /**
   * Netty's response decoder told which requests the responses answer, so that it reads no body
   * after a response to {@code HEAD}. Interim (1xx) responses answer no request. ({@code
   * HttpClientCodec} does the same but pairs the response after a {@code 100 Continue} with the
   * wrong request.)
   */
  private static final class ResponseDecoder extends HttpResponseDecoder {
    private final Deque<HttpMethod> methods;

    ResponseDecoder(List<HttpMethod> methods) {
      this.methods = new ArrayDeque<>(methods);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
      int status = ((HttpResponse) msg).status().code();
      if (status >= 200 && HttpMethod.HEAD.equals(methods.poll())) {
        return true;
      }
      return super.isContentAlwaysEmpty(msg);
    }
  }

  /**
   * Sits after the protocol detection, which appends the HTTP/1.1 handlers behind it and hands it
   * the first bytes: adds the counters around the body aggregator, then leaves.
   */
  private static final class AddCounters extends ChannelInboundHandlerAdapter {
    private final Exchange x;

    AddCounters(Exchange x) {
      this.x = x;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ChannelPipeline p = ctx.pipeline();
      if (p.get("aggregator") != null) {
        p.addAfter("http", "heads", new Counter(x, true));
        p.addAfter("aggregator", "requests", new Counter(x, false));
      }
      p.remove(this);
      ctx.fireChannelRead(msg);
    }
  }

  /** Counts request heads (before aggregation) or whole requests (after), passing them on. */
  private static final class Counter extends ChannelInboundHandlerAdapter {
    private final Exchange x;
    private final boolean heads;

    Counter(Exchange x, boolean heads) {
      this.x = x;
      this.heads = heads;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (heads && msg instanceof HttpRequest r) {
        x.heads.add(r.method());
      } else if (!heads && msg instanceof FullHttpRequest) {
        x.wholeRequests++;
      }
      ctx.fireChannelRead(msg);
    }
  }
}
