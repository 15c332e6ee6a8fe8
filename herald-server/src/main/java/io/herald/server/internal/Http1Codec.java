package io.herald.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;

/**
 * The HTTP/1.1 server codec as a request decoder and a response encoder that share the methods of
 * the requests not answered yet, so that the answer to a {@code HEAD} is written without a body
 * (RFC 9110 section 9.3.2). Netty's {@code HttpServerCodec} does the same, but takes a method from
 * its queue for every response, interim {@code 100 Continue} ones included: after a request with
 * {@code Expect: 100-continue} followed by a pipelined {@code HEAD}, it wrote the first request's
 * answer as the answer to {@code HEAD} (its Content-Length, no body), and the client read the next
 * answer as that body. Here an interim (1xx) response other than {@code 101} takes no method: it
 * answers no request (RFC 9110 section 15.2). Two handlers (encoder, then decoder) because Netty's
 * WebSocket handshake finds them by type. One pair per connection, event loop only.
 */
final class Http1Codec {
  private final Queue<HttpMethod> methods = new ArrayDeque<>();

  /** The decoder, with Netty's limits: request line, header block and chunk sizes in bytes. */
  final HttpRequestDecoder decoder;

  /** The encoder. */
  final HttpResponseEncoder encoder = new Encoder();

  Http1Codec(int maxInitialLineBytes, int maxHeaderBytes, int maxChunkBytes) {
    decoder = new Decoder(maxInitialLineBytes, maxHeaderBytes, maxChunkBytes);
  }

  /**
   * Drops the bytes the connection's request decoder holds beyond the request being answered,
   * before a WebSocket handshake replaces it. A client must send nothing after its upgrade request
   * until the {@code 101} (RFC 6455 section 4.1); Netty's handshake hands such bytes to the new
   * frame decoder before it adds the frame encoder, so the decoder's answer to them (a close frame
   * for a protocol violation) went out unencoded (found by fuzzing). Event loop only.
   */
  static void discardBeforeUpgrade(ChannelPipeline pipeline) {
    if (pipeline.get(HttpRequestDecoder.class) instanceof Http1Codec.Decoder d) {
      d.discardUnread();
    }
  }

  private final class Decoder extends HttpRequestDecoder {
    Decoder(int maxInitialLineBytes, int maxHeaderBytes, int maxChunkBytes) {
      super(maxInitialLineBytes, maxHeaderBytes, maxChunkBytes);
    }

    void discardUnread() {
      ByteBuf held = internalBuffer();
      held.skipBytes(held.readableBytes());
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out)
        throws Exception {
      int before = out.size();
      super.decode(ctx, buffer, out);
      for (int i = before; i < out.size(); i++) {
        if (out.get(i) instanceof HttpRequest r) {
          methods.add(r.method());
        }
      }
    }
  }

  private final class Encoder extends HttpResponseEncoder {
    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
      int code = msg.status().code();
      boolean interim = code >= 100 && code < 200 && code != 101;
      HttpMethod method = interim ? null : methods.poll();
      return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(msg);
    }
  }
}
