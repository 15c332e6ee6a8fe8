package io.herald.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.core.Cursor;
import io.herald.core.ErrorCode;
import io.herald.core.Json;
import io.herald.core.Message;
import io.herald.core.Names;
import io.herald.core.Position;
import io.herald.core.ProtocolException;
import io.herald.core.Subscription;
import io.herald.server.auth.AuthException;
import io.herald.server.auth.Principal;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * WebSocket (RFC 6455; PROTOCOL.md section 7): JSON text frames, one object each. Subscriptions
 * come from the URL ({@code GET /channels/a,b} with {@code Upgrade}) or from {@code subscribe}
 * commands on {@code /ws}; messages go out as the shared push frame bytes of each message. The
 * server pings every {@code wsPingInterval} and closes a connection silent for {@code
 * wsIdleTimeout}. Close codes: 1001 going away (shutdown, idle), 1009 frame too big (Netty's
 * decoder), 1008 policy, 1011 server error. A command that cannot be carried out gets an {@code
 * error} frame and the connection stays open.
 *
 * <p>Replaces {@link HttpRouter} after the handshake. Confined to the channel's event loop.
 */
final class WebSocketTransport extends StreamingTransport {
  /** Time a {@code /ws} connection that must authenticate has to send {@code connect}. */
  static final int CONNECT_DEADLINE_SECONDS = 10;

  private final WebSocketServerHandshaker handshaker;
  private final List<String> initialChannels;
  private final Cursor initialCursor;
  private final Set<String> pending = new HashSet<>();
  private ScheduledFuture<?> pinger;
  private Principal principal;
  private ScheduledFuture<?> connectDeadline;
  private ScheduledFuture<?> expiry;
  private long lastSeen = System.nanoTime();
  private boolean closing;

  private WebSocketTransport(
      ServerContext server,
      WebSocketServerHandshaker handshaker,
      Principal principal,
      List<String> channels,
      Cursor cursor) {
    super(server);
    this.handshaker = handshaker;
    this.principal = principal;
    this.initialChannels = channels;
    this.initialCursor = cursor;
  }

  /** Answers the upgrade and puts a WebSocket transport in place of {@code router}'s context. */
  static void upgrade(
      ChannelHandlerContext ctx,
      ServerContext server,
      FullHttpRequest request,
      Principal principal,
      List<String> channels,
      Cursor cursor) {
    String url = "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + request.uri();
    WebSocketDecoderConfig decoder =
        WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(server.config.maxFrameBytes())
            .allowExtensions(false)
            .closeOnProtocolViolation(true)
            .build();
    WebSocketServerHandshaker handshaker =
        new WebSocketServerHandshakerFactory(url, null, decoder).newHandshaker(request);
    if (handshaker == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return;
    }
    WebSocketTransport transport =
        new WebSocketTransport(server, handshaker, principal, channels, cursor);
    ChannelPipeline p = ctx.pipeline();
    p.addLast("ws-aggregator", new WebSocketFrameAggregator(server.config.maxFrameBytes()));
    p.addLast("ws", transport);
    p.remove(ctx.handler());
    handshaker
        .handshake(ctx.channel(), request)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                transport.start();
              } else {
                ctx.channel().close();
              }
            });
  }

  private void start() {
    long every = server.config.wsPingInterval().toMillis();
    pinger = ctx.executor().scheduleAtFixedRate(this::ping, every, every, TimeUnit.MILLISECONDS);
    if (server.authorizer.enabled() && principal.anonymous() && initialChannels.isEmpty()) {
      connectDeadline =
          ctx.executor()
              .schedule(
                  () ->
                      close(
                          4001,
                          "authentication needed: send connect with a token within "
                              + CONNECT_DEADLINE_SECONDS
                              + " seconds"),
                  CONNECT_DEADLINE_SECONDS,
                  TimeUnit.SECONDS);
    }
    scheduleExpiry();
    if (!initialChannels.isEmpty()) {
      pending.addAll(initialChannels);
      open(
          initialChannels,
          initialCursor,
          subs -> {
            pending.removeAll(initialChannels);
            for (Subscription s : subs) {
              subscriptions.add(s);
              send(subscribed(null, s));
            }
            drain();
          },
          error -> {
            pending.removeAll(initialChannels);
            send(error(null, error));
            close(1011, "cannot subscribe: " + error.getMessage());
          });
    }
  }

  private void ping() {
    if (System.nanoTime() - lastSeen
        > TimeUnit.MILLISECONDS.toNanos(server.config.wsIdleTimeout().toMillis())) {
      close(1001, "no frame from the client within the idle timeout");
      return;
    }
    ctx.writeAndFlush(new PingWebSocketFrame());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    lastSeen = System.nanoTime();
    try {
      if (msg instanceof TextWebSocketFrame text) {
        command(text);
      } else if (msg instanceof PingWebSocketFrame ping) {
        ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
      } else if (msg instanceof CloseWebSocketFrame close) {
        closing = true;
        handshaker.close(ctx.channel(), close.retain());
      } else if (msg instanceof BinaryWebSocketFrame) {
        send(
            error(
                null,
                new ProtocolException(
                    ErrorCode.INVALID_REQUEST,
                    "binary frames are not part of the protocol; send JSON text frames")));
      } else if (!(msg instanceof WebSocketFrame)) {
        ctx.fireChannelRead(ReferenceCountUtil.retain(msg));
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void command(TextWebSocketFrame frame) {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree((java.io.InputStream) new ByteBufInputStream(frame.content()));
    } catch (IOException e) {
      send(
          error(
              null,
              new ProtocolException(
                  ErrorCode.INVALID_JSON,
                  "the frame is not valid JSON; send one JSON object per text frame")));
      return;
    }
    JsonNode id = node == null ? null : node.get("id");
    if (id != null && !(id.isNumber() || id.isTextual())) {
      id = null;
    }
    try {
      if (node == null || !node.isObject() || !node.path("type").isTextual()) {
        throw new ProtocolException(
            ErrorCode.INVALID_REQUEST,
            "a command is a JSON object with a string 'type': subscribe, unsubscribe, publish,"
                + " ping, connect or refresh");
      }
      switch (node.get("type").asText()) {
        case "subscribe" -> subscribe(id, node);
        case "unsubscribe" -> unsubscribe(id, node);
        case "publish" -> publish(id, node);
        case "connect" -> authenticate(id, node, "connected");
        case "refresh" -> authenticate(id, node, "refreshed");
        case "ping" -> {
          ObjectNode pong = reply("pong", id);
          send(pong);
        }
        default ->
            throw new ProtocolException(
                ErrorCode.INVALID_REQUEST,
                "unknown command type '"
                    + node.get("type").asText()
                    + "'; use subscribe, unsubscribe, publish, ping, connect or refresh");
      }
    } catch (ProtocolException e) {
      send(error(id, e));
    }
  }

  private void subscribe(JsonNode id, JsonNode node) {
    String channel = Names.channel(text(node, "channel"));
    JsonNode sinceNode = node.get("since");
    Position since = null;
    if (sinceNode != null && !sinceNode.isNull()) {
      if (!sinceNode.isTextual() && !sinceNode.isIntegralNumber()) {
        throw new ProtocolException(
            ErrorCode.INVALID_CURSOR, "'since' must be a position string such as \"k3f9:17\"");
      }
      since = sinceNode.asText().isEmpty() ? null : Position.parse(sinceNode.asText());
    }
    server.authorizer.checkSubscribe(principal, List.of(channel));
    publicUse();
    if (pending.contains(channel)
        || subscriptions.stream().anyMatch(s -> s.channel().equals(channel))) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "already subscribed to '" + channel + "'; unsubscribe first to move the position");
    }
    if (subscriptions.size() + pending.size() >= server.config.maxChannelsPerSubscription()) {
      throw new ProtocolException(
          ErrorCode.TOO_MANY_CHANNELS,
          "this connection already has "
              + server.config.maxChannelsPerSubscription()
              + " subscriptions, the most allowed");
    }
    pending.add(channel);
    open(
        List.of(channel),
        Cursor.of(java.util.Collections.singletonList(since)),
        subs -> {
          pending.remove(channel);
          Subscription s = subs.get(0);
          subscriptions.add(s);
          send(subscribed(id, s));
          drain();
        },
        error -> {
          pending.remove(channel);
          send(error(id, error));
        });
  }

  private void unsubscribe(JsonNode id, JsonNode node) {
    String channel = Names.channel(text(node, "channel"));
    Subscription s =
        subscriptions.stream()
            .filter(x -> x.channel().equals(channel))
            .findFirst()
            .orElseThrow(
                () ->
                    new ProtocolException(
                        ErrorCode.INVALID_REQUEST, "not subscribed to '" + channel + "'"));
    subscriptions.remove(s);
    s.close();
    ObjectNode r = reply("unsubscribed", id);
    r.put("channel", channel);
    send(r);
  }

  private void publish(JsonNode id, JsonNode node) {
    String channel = Names.channel(text(node, "channel"));
    JsonNode eventNode = node.get("event");
    String event = Names.event(eventNode == null || eventNode.isNull() ? null : eventNode.asText());
    server.authorizer.checkPublish(principal, channel);
    publicUse();
    JsonNode data = node.get("data");
    if (data == null) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST, "publish needs 'data': any JSON value");
    }
    byte[] bytes;
    try {
      bytes = Json.MAPPER.writeValueAsBytes(data);
    } catch (JsonProcessingException e) {
      throw new ProtocolException(
          ErrorCode.INVALID_JSON, "'data' cannot be encoded: " + e.getOriginalMessage());
    }
    if (bytes.length > server.config.maxMessageBytes()) {
      throw PublishHandler.tooLarge(bytes.length, server.config.maxMessageBytes());
    }
    server
        .hub
        .publish(channel, event, bytes)
        .whenComplete(
            (m, error) ->
                EventLoops.runOn(
                    ctx,
                    () -> {
                      if (error != null) {
                        Throwable cause =
                            error instanceof CompletionException && error.getCause() != null
                                ? error.getCause()
                                : error;
                        send(
                            error(
                                id,
                                cause instanceof ProtocolException pe
                                    ? pe
                                    : new ProtocolException(
                                        ErrorCode.UNAVAILABLE,
                                        "the publication failed: " + cause.getMessage())));
                        return;
                      }
                      ObjectNode r = reply("published", id);
                      r.put("channel", m.channel());
                      r.put("offset", m.offset());
                      r.put("epoch", m.epoch());
                      send(r);
                    }));
  }

  /**
   * {@code connect} and {@code refresh} (PROTOCOL.md section 10): verifies the token, makes it the
   * connection's principal and moves the expiry; a refresh keeps the user and must still grant
   * every open subscription, else the connection closes with 4003.
   */
  private void authenticate(JsonNode id, JsonNode node, String answer) {
    ObjectNode r = reply(answer, id);
    if (!server.authorizer.enabled()) {
      send(r); // no credential configured: everything is public, the token is not needed
      return;
    }
    Principal next = server.authorizer.verify(text(node, "token"));
    if (principal.user() != null && !principal.user().equals(next.user())) {
      throw new AuthException(
          ErrorCode.FORBIDDEN,
          "the new token is for user '"
              + next.user()
              + "', this connection is user '"
              + principal.user()
              + "'; open a new connection to change users",
          true);
    }
    for (Subscription s : subscriptions) {
      try {
        server.authorizer.checkSubscribe(next, List.of(s.channel()));
      } catch (AuthException e) {
        close(4003, "the new token does not grant " + s.channel());
        return;
      }
    }
    principal = next;
    if (connectDeadline != null) {
      connectDeadline.cancel(false);
      connectDeadline = null;
    }
    scheduleExpiry();
    if (answer.equals("connected")) {
      r.put("user", next.user());
    }
    if (next.expires() != null) {
      r.put("expires", next.expires().toEpochMilli());
    }
    send(r);
  }

  /** An allowed command without a token: this connection uses public channels, no deadline. */
  private void publicUse() {
    if (connectDeadline != null) {
      connectDeadline.cancel(false);
      connectDeadline = null;
    }
  }

  /** Closes the connection with 4001 at its token's {@code exp}, unless refreshed before. */
  private void scheduleExpiry() {
    if (expiry != null) {
      expiry.cancel(false);
      expiry = null;
    }
    if (principal.expires() != null) {
      long millis = principal.expires().toEpochMilli() - System.currentTimeMillis();
      expiry =
          ctx.executor()
              .schedule(
                  () -> close(4001, "the token expired; reconnect with a new token"),
                  Math.max(0, millis),
                  TimeUnit.MILLISECONDS);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST, "the command needs '" + field + "' as a string");
    }
    return v.asText();
  }

  private ObjectNode subscribed(JsonNode id, Subscription s) {
    ObjectNode r = reply("subscribed", id);
    r.put("channel", s.channel());
    r.put("position", s.startPosition().toString());
    r.put("recovered", s.recovered());
    return r;
  }

  private static ObjectNode reply(String type, JsonNode id) {
    ObjectNode r = Json.MAPPER.createObjectNode();
    r.put("type", type);
    if (id != null) {
      r.set("id", id);
    }
    return r;
  }

  private static ObjectNode error(JsonNode id, ProtocolException e) {
    ObjectNode r = reply("error", id);
    ObjectNode err = r.putObject("error");
    err.put("code", e.code().code());
    err.put("message", e.getMessage());
    return r;
  }

  private void send(ObjectNode frame) {
    if (!ctx.channel().isActive() || closing) {
      return;
    }
    try {
      ctx.writeAndFlush(
          new TextWebSocketFrame(Unpooled.wrappedBuffer(Json.MAPPER.writeValueAsBytes(frame))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected void writeMessage(int index, Subscription s, Message m) {
    ctx.write(m.encoded(WireEncodings.WEBSOCKET_FRAME).duplicate(), ctx.voidPromise());
  }

  @Override
  protected void writeGap(int index, Subscription s, Position position) {
    ObjectNode r = reply("gap", null);
    r.put("channel", s.channel());
    r.put("position", position.toString());
    try {
      ctx.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(Json.MAPPER.writeValueAsBytes(r))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private void close(int code, String reason) {
    if (closing || !ctx.channel().isActive()) {
      return;
    }
    closing = true;
    ctx.writeAndFlush(new CloseWebSocketFrame(code, reason))
        .addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == ServerShutdown.INSTANCE) {
      close(1001, "server going away");
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  protected void closeSubscriptions() {
    if (pinger != null) {
      pinger.cancel(false);
    }
    if (connectDeadline != null) {
      connectDeadline.cancel(false);
    }
    if (expiry != null) {
      expiry.cancel(false);
    }
    super.closeSubscriptions();
  }
}
