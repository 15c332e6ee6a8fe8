package io.herald.server.internal;

import io.herald.core.Message;
import io.herald.core.Names;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The wire forms of a message that are the same for every subscriber of a transport, encoded once
 * per message (DESIGN.md "encode once") and written to each connection as a duplicate of one
 * unreleasable direct buffer: nothing is copied or encoded per subscriber, and nothing needs
 * releasing (the bytes go when the message does).
 */
final class WireEncodings {
  private static final byte[] END = {'\n', '\n'};

  /**
   * The whole WebSocket text frame (RFC 6455 section 5.2: FIN, opcode 1, no mask, then the payload
   * length) around the message's push frame. Server frames are never masked, so every subscriber
   * gets the same bytes.
   */
  static final Message.Encoding<ByteBuf> WEBSOCKET_FRAME =
      new Message.Encoding<>(m -> shared(webSocketFrame(m.pushFrame())));

  /**
   * A whole SSE event for a stream of one channel, where the event's {@code id} (the cursor after
   * the message) is just the message's position: {@code id:}, {@code event:} unless {@code
   * message}, {@code data:} the envelope, and the blank line.
   */
  static final Message.Encoding<ByteBuf> SSE_EVENT =
      new Message.Encoding<>(
          m ->
              shared(
                  concat(
                      ("id: " + m.position() + "\n" + eventLine(m) + "data: ")
                          .getBytes(StandardCharsets.UTF_8),
                      m.envelope(),
                      END)));

  /**
   * An SSE event without its {@code id:} line, for streams of several channels, whose ids differ
   * per connection.
   */
  static final Message.Encoding<ByteBuf> SSE_EVENT_BODY =
      new Message.Encoding<>(
          m ->
              shared(
                  concat(
                      (eventLine(m) + "data: ").getBytes(StandardCharsets.UTF_8),
                      m.envelope(),
                      END)));

  private WireEncodings() {}

  private static String eventLine(Message m) {
    return m.event().equals(Names.DEFAULT_EVENT) ? "" : "event: " + m.event() + "\n";
  }

  static byte[] webSocketFrame(byte[] payload) {
    int n = payload.length;
    int header = n <= 125 ? 2 : n <= 0xFFFF ? 4 : 10;
    byte[] frame = new byte[header + n];
    frame[0] = (byte) 0x81; // FIN + text
    if (n <= 125) {
      frame[1] = (byte) n;
    } else if (n <= 0xFFFF) {
      frame[1] = 126;
      frame[2] = (byte) (n >>> 8);
      frame[3] = (byte) n;
    } else {
      frame[1] = 127;
      for (int i = 0; i < 8; i++) {
        frame[2 + i] = (byte) ((long) n >>> (56 - 8 * i));
      }
    }
    System.arraycopy(payload, 0, frame, header, n);
    return frame;
  }

  private static byte[] concat(byte[] a, byte[] b, byte[] c) {
    byte[] out = new byte[a.length + b.length + c.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    System.arraycopy(c, 0, out, a.length + b.length, c.length);
    return out;
  }

  /**
   * A direct buffer (so the epoll transport writes it without copying it first) that nobody
   * releases: the JDK frees its memory when the message is collected.
   */
  private static ByteBuf shared(byte[] bytes) {
    ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(direct));
  }
}
