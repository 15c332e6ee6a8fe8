package io.herald.server.internal;

import io.herald.core.BinaryFrames;
import io.herald.core.Message;
import io.herald.core.Names;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The wire forms of a message that are the same for every subscriber of a transport, encoded once
 * per message (DESIGN.md "encode once"), on its first delivery, and written to each connection as a
 * duplicate of one unreleasable direct buffer: nothing is copied or encoded per subscriber, and
 * nothing needs releasing (the bytes go when the message does). Every form shares one direct copy
 * of the envelope: the SSE body is a slice of the whole SSE event, and the WebSocket frame is a
 * composite of its own few header bytes and a slice of that event. So a message delivered on every
 * transport has its bytes once on the heap (its envelope) and once in direct memory; the composite
 * goes out with one gathering write.
 *
 * <p>A binary message (PROTOCOL.md section 11) keeps its raw bytes on the heap; its base64 envelope
 * exists only in direct memory, in its SSE event, of which the WebSocket text frame and the poll
 * {@link #ENVELOPE} are slices; its {@link #WEBSOCKET_BINARY_FRAME}, built only when a {@code
 * binary=1} connection receives it, holds a second direct copy of the raw bytes.
 */
final class WireEncodings {
  private static final byte[] END = {'\n', '\n'};

  /**
   * The whole WebSocket text frame (RFC 6455 section 5.2: FIN, opcode 1, no mask, then the payload
   * length) around the message's push frame. Server frames are never masked, so every subscriber
   * gets the same bytes.
   */
  static final Message.Encoding<ByteBuf> WEBSOCKET_FRAME =
      new Message.Encoding<>(WireEncodings::webSocketFrameSharingTheSseEvent);

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
                      idLine(m),
                      (eventLine(m) + "data: ").getBytes(StandardCharsets.UTF_8),
                      m.envelope(),
                      END)));

  /**
   * An SSE event without its {@code id:} line, for streams of several channels, whose ids differ
   * per connection: a slice of {@link #SSE_EVENT}, so both forms share one copy of the bytes.
   */
  static final Message.Encoding<ByteBuf> SSE_EVENT_BODY =
      new Message.Encoding<>(
          m -> {
            ByteBuf whole = m.encoded(SSE_EVENT);
            int id = idLine(m).length;
            return whole.slice(id, whole.readableBytes() - id);
          });

  /**
   * The envelope alone (for poll answers of binary messages, whose envelope the message does not
   * keep): a slice of {@link #SSE_EVENT}, so the base64 text exists once in direct memory.
   */
  static final Message.Encoding<ByteBuf> ENVELOPE =
      new Message.Encoding<>(
          m -> {
            ByteBuf whole = m.encoded(SSE_EVENT);
            int at = envelopeAt(m);
            return whole.slice(at, whole.readableBytes() - END.length - at);
          });

  /**
   * The whole WebSocket binary frame (RFC 6455 section 5.2: FIN, opcode 2, no mask, the payload
   * length) of a binary message for connections opened with {@code binary=1} (PROTOCOL.md section
   * 11): 4 bytes big-endian N, N bytes of the envelope's JSON without {@code data}, then the raw
   * bytes; one direct buffer, shared by every such subscriber.
   */
  static final Message.Encoding<ByteBuf> WEBSOCKET_BINARY_FRAME =
      new Message.Encoding<>(WireEncodings::webSocketBinaryFrame);

  private WireEncodings() {}

  /** Where the envelope starts in {@link #SSE_EVENT}: after the id, event and data prefixes. */
  private static int envelopeAt(Message m) {
    return idLine(m).length + (eventLine(m) + "data: ").length();
  }

  private static ByteBuf webSocketBinaryFrame(Message m) {
    byte[] head = m.binaryFrameHead();
    int n = BinaryFrames.PREFIX_BYTES + head.length + m.dataSize();
    int header = headerSize(n);
    ByteBuffer direct = ByteBuffer.allocateDirect(header + n);
    byte[] start = new byte[header + BinaryFrames.PREFIX_BYTES];
    writeHeader(start, n);
    start[0] = (byte) 0x82; // FIN + binary
    BinaryFrames.writeLength(start, header, head.length);
    direct.put(start).put(head);
    m.writeBytes(direct);
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(direct.flip()));
  }

  private static final byte[] PUSH_PREFIX =
      "{\"type\":\"message\",".getBytes(StandardCharsets.UTF_8);

  /**
   * The frame header and {@code {"type":"message",}, then the envelope after its {@code {} taken
   * from the SSE event's buffer: no second copy of the envelope.
   */
  private static ByteBuf webSocketFrameSharingTheSseEvent(Message m) {
    ByteBuf event = m.encoded(SSE_EVENT);
    int envelopeAt = envelopeAt(m);
    int envelopeLength = event.readableBytes() - END.length - envelopeAt;
    ByteBuf rest = event.slice(envelopeAt + 1, envelopeLength - 1);
    int n = PUSH_PREFIX.length + envelopeLength - 1;
    byte[] head = new byte[headerSize(n) + PUSH_PREFIX.length];
    writeHeader(head, n);
    System.arraycopy(PUSH_PREFIX, 0, head, head.length - PUSH_PREFIX.length, PUSH_PREFIX.length);
    ByteBuf frame = Unpooled.compositeBuffer(2).addComponents(true, shared(head), rest);
    return Unpooled.unreleasableBuffer(frame);
  }

  private static String eventLine(Message m) {
    return m.event().equals(Names.DEFAULT_EVENT) ? "" : "event: " + m.event() + "\n";
  }

  private static byte[] idLine(Message m) {
    return ("id: " + m.position() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** A whole unmasked text frame around {@code payload} (for tests that play the client side). */
  static byte[] webSocketFrame(byte[] payload) {
    int n = payload.length;
    byte[] frame = new byte[headerSize(n) + n];
    writeHeader(frame, n);
    System.arraycopy(payload, 0, frame, frame.length - n, n);
    return frame;
  }

  private static int headerSize(int n) {
    return n <= 125 ? 2 : n <= 0xFFFF ? 4 : 10;
  }

  private static void writeHeader(byte[] frame, int n) {
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
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
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
