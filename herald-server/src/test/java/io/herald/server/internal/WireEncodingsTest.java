package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.herald.core.Message;
import io.herald.server.LeakDetection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shared wire forms: what a client's decoder makes of them, and that they are built once per
 * message.
 */
@Timeout(10)
@ExtendWith(LeakDetection.class)
class WireEncodingsTest {

  @ParameterizedTest
  @ValueSource(
      ints = {0, 125, 126, 65535, 65536, 200_000}) // RFC 6455 5.2: 7-bit, 16-bit and 64-bit lengths
  void webSocketFrameDecodesToThePayloadAtEveryLengthForm(int size) {
    byte[] payload = "x".repeat(size).getBytes(StandardCharsets.US_ASCII);
    EmbeddedChannel client =
        new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 20));
    client.writeInbound(Unpooled.wrappedBuffer(WireEncodings.webSocketFrame(payload)));
    TextWebSocketFrame frame = client.readInbound();
    assertThat(frame.isFinalFragment()).isTrue();
    assertThat(frame.content().readableBytes()).isEqualTo(size);
    frame.release();
    assertFalse(client.finish());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 100, 200, 65_600, 200_000}) // frames with 7-, 16- and 64-bit lengths
  void theWebSocketFrameSharesTheSseEventsBytesAndDecodesToThePushFrame(int size) {
    byte[] data = ("\"" + "y".repeat(size) + "\"").getBytes(StandardCharsets.UTF_8);
    Message m = Message.create("prices", "k3f9", 7, "message", data, 1L);
    ByteBuf frame = m.encoded(WireEncodings.WEBSOCKET_FRAME);
    assertThat(m.encoded(WireEncodings.WEBSOCKET_FRAME)).isSameAs(frame);
    EmbeddedChannel client =
        new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 20));
    client.writeInbound(frame.duplicate());
    TextWebSocketFrame text = client.readInbound();
    assertThat(text.text()).isEqualTo(new String(m.pushFrame(), StandardCharsets.UTF_8));
    text.release();
    assertFalse(client.finish());
    // its own header, then a view of the SSE event's direct bytes: one copy for every transport
    assertThat(frame.nioBufferCount()).isEqualTo(2);
    assertThat(frame.nioBuffers()[1].isDirect()).isTrue();
    assertThat(frame.nioBuffers()[1].remaining()).isEqualTo(m.envelope().length - 1);
  }

  @Test
  void sseEventIsBuiltOnceAndSharedByEveryWrite() {
    Message m =
        Message.create(
            "prices",
            "k3f9",
            18,
            "tick",
            "{\"px\":1}".getBytes(StandardCharsets.UTF_8),
            1763700000123L);
    ByteBuf first = m.encoded(WireEncodings.SSE_EVENT);
    assertThat(m.encoded(WireEncodings.SSE_EVENT)).isSameAs(first);
    assertThat(first.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "id: k3f9:18\n" // the cursor after the message, for a one-channel stream
                + "event: tick\n" // present because the event is not 'message'
                + "data: {\"channel\":\"prices\",\"offset\":18,\"epoch\":\"k3f9\",\"event\":\"tick\",\"data\":{\"px\":1},\"time\":1763700000123}\n"
                + "\n");
    assertThat(m.encoded(WireEncodings.SSE_EVENT_BODY).toString(StandardCharsets.UTF_8))
        .startsWith("event: tick\ndata: {");
    Message plain =
        Message.create("prices", "k3f9", 19, "message", "1".getBytes(StandardCharsets.UTF_8), 1L);
    assertThat(plain.encoded(WireEncodings.SSE_EVENT).toString(StandardCharsets.UTF_8))
        .startsWith("id: k3f9:19\ndata: {");
  }
}
