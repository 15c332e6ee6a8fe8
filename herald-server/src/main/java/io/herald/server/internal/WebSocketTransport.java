package io.herald.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.herald.core.BinaryFrames;
import io.herald.core.ContentTypes;
import io.herald.core.Cursor;
import io.herald.core.ErrorCode;
import io.herald.core.IdempotencyKeys;
import io.herald.core.Json;
import io.herald.core.Message;
import io.herald.core.Names;
import io.herald.core.Position;
import io.herald.core.ProtocolException;
import io.herald.core.Subscription;
import io.herald.server.auth.AuthException;
import io.herald.server.auth.Principal;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * WebSocket (RFC 6455; PROTOCOL.md section 7): JSON text frames, one object each. Subscriptions
 * come from the URL ({@code GET /channels/a,b} with {@code Upgrade}) or from {@code subscribe}
 * commands on {@code /ws}; messages go out as the shared push frame bytes of each message. The
 * server pings every {@code wsPingInterval} and closes a connection silent for {@code
 * wsIdleTimeout}. Close codes: 1001 going away (shutdown, idle), 1009 frame too big (Netty's
 * decoder), 1008 policy, 1011 server error. A command that cannot be carried out gets an {@code
 * error} frame (with its {@code id} when it could be read) and the connection stays open.
 *
 * <p>Binary messages (PROTOCOL.md section 11): a binary frame from the client is a {@code publish}
 * in the section 11 layout (4 bytes big-endian N, N bytes of the command's JSON without {@code
 * data}, then the raw bytes), answered like a text one; a malformed one gets an {@code error}
 * frame. A connection opened with {@code binary=1} receives binary messages as binary frames of the
 * same layout, and every other message as text frames; without it, binary messages come as base64
 * envelopes in text frames.
 *
 * <p>Abuse controls: commands are parsed by {@link WebSocketCommand} (so {@code data} is published
 * byte for byte); every text or binary frame and every ping frame takes a token of the connection's
 * {@link RateLimiter} ({@code rate_limited} error frames, close 1008 for a connection refused too
 * often); at most {@code wsMaxInflightPublishes} publications wait for the broker, past which the
 * connection stops reading and holds the frames already decoded, in order, until one is answered.
 *
 * <p>Replaces {@link HttpRouter} after the handshake. Confined to the channel's event loop.
 */
final class WebSocketTransport extends StreamingTransport {
  /**
   * How long a connection the server closes may take to let its close frame out before the socket
   * is closed without it (a client that does not read), in milliseconds.
   */
  static final long CLOSE_GRACE_MILLIS = 2_000;

  /** Time a {@code /ws} connection that must authenticate has to send {@code connect}. */
  static final int CONNECT_DEADLINE_SECONDS = 10;

  private final WebSocketServerHandshaker handshaker;
  private final List<String> initialChannels;
  private final Cursor initialCursor;
  private final Set<String> pending = new HashSet<>();
  private final RateLimiter limiter;
  private final ArrayDeque<WebSocketFrame> held = new ArrayDeque<>();
  private final boolean binaryFrames;
  private long heldBytes;
  private int inflight;
  private boolean pausedReading;
  private boolean runningHeld;
  private ScheduledFuture<?> pinger;
  private Principal principal;
  private ScheduledFuture<?> connectDeadline;
  private ScheduledFuture<?> expiry;
  private long lastSeen = System.nanoTime();
  private boolean closing;
  private boolean sawFrame;

  private WebSocketTransport(
      ServerContext server,
      WebSocketServerHandshaker handshaker,
      Principal principal,
      List<String> channels,
      Cursor cursor,
      boolean binaryFrames) {
    super(server, io.herald.core.Transport.WEBSOCKET);
    this.binaryFrames = binaryFrames;
    this.handshaker = handshaker;
    this.principal = principal;
    this.initialChannels = channels;
    this.initialCursor = cursor;
    this.limiter =
        RateLimiter.of(
            "WebSocket commands",
            server.config.wsCommandRate(),
            server.config.wsCommandBurst(),
            server.config.rateLimitStrikes(),
            server.config.rateLimitStrikeWindow());
  }

  /** Answers the upgrade and puts a WebSocket transport in place of {@code router}'s context. */
  static void upgrade(
      ChannelHandlerContext ctx,
      ServerContext server,
      FullHttpRequest request,
      Principal principal,
      List<String> channels,
      Cursor cursor) {
    // Netty's handshaker throws on these after the pipeline has changed: refuse them first, with
    // an answer (RFC 6455 section 4.2.1)
    if (!request
        .headers()
        .containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "a WebSocket upgrade needs 'Connection: Upgrade' beside 'Upgrade: websocket'");
    }
    String key = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
    if (key == null || key.isBlank()) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "a WebSocket upgrade needs a Sec-WebSocket-Key header (RFC 6455 section 4.1)");
    }
    boolean binaryFrames = binaryFrames(Query.decode(request.uri()));
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
        new WebSocketTransport(server, handshaker, principal, channels, cursor, binaryFrames);
    ChannelPipeline p = ctx.pipeline();
    p.addLast("ws-aggregator", new WebSocketFrameAggregator(server.config.maxFrameBytes()));
    p.addLast("ws", transport);
    p.remove(ctx.handler());
    Http1Codec.discardBeforeUpgrade(p);
    ChannelFuture handshake;
    try {
      handshake = handshaker.handshake(ctx.channel(), request);
    } catch (WebSocketHandshakeException e) {
      // a request the checks above let through and Netty refuses: still an answer, then close
      HttpRouter.LOG.debug("WebSocket upgrade refused: {}", e.getMessage());
      FullHttpResponse r =
          HttpResponses.error(
              ErrorCode.INVALID_REQUEST, "not a valid WebSocket upgrade: " + e.getMessage());
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.channel().writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    handshake.addListener(
        f -> {
          if (f.isSuccess()) {
            transport.start();
          } else {
            ctx.channel().close();
          }
        });
  }

  /**
   * The {@code binary} query parameter (PROTOCOL.md section 11): {@code 1} or {@code true} makes
   * binary messages go out as binary frames; {@code 0}, {@code false} or none, as base64 envelopes
   * in text frames.
   *
   * @throws ProtocolException {@code invalid_request} for another value
   */
  static boolean binaryFrames(QueryStringDecoder uri) {
    String v = Query.single(uri, "binary");
    if (v == null || v.equals("0") || v.equals("false")) {
      return false;
    }
    if (v.equals("1") || v.equals("true")) {
      return true;
    }
    throw new ProtocolException(
        ErrorCode.INVALID_REQUEST,
        "query parameter 'binary' must be 1 (binary messages as binary frames) or 0 (as"
            + " base64 in text frames, the default)");
  }

  private void start() {
    long every = server.config.wsPingInterval().toMillis();
    pinger = ctx.executor().scheduleAtFixedRate(this::ping, every, every, TimeUnit.MILLISECONDS);
    if (server.authorizer.enabled() && principal.anonymous() && initialChannels.isEmpty()) {
      // must authenticate (PROTOCOL.md section 10): connect, or use a public channel, within 10 s
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
    } else if (initialChannels.isEmpty()) {
      long first = server.config.wsFirstFrameTimeout().toMillis();
      ctx.executor().schedule(this::firstFrameDue, first, TimeUnit.MILLISECONDS);
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

  private void firstFrameDue() {
    if (!sawFrame) {
      close(
          1008,
          "no frame within "
              + server.config.wsFirstFrameTimeout().toMillis()
              + " ms of opening; subscribe first");
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
    sawFrame = true;
    if (closing && (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame)) {
      ReferenceCountUtil.release(msg); // the server is closing: commands are no longer carried out
      return;
    }
    if ((msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame)
        && (!held.isEmpty() || atInflightCap())) {
      hold((WebSocketFrame) msg);
      return;
    }
    try {
      if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
        command((WebSocketFrame) msg);
      } else if (msg instanceof PingWebSocketFrame ping) {
        // RFC 6455 wants a pong for every ping: over the rate it still gets one, but counts as a
        // refusal, so a ping flood ends in a close like a command flood
        RateLimiter.Refusal refusal = limiter == null ? null : limiter.tryAcquire();
        ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
        if (refusal != null && refusal.close()) {
          close(1008, refusal.closeReason());
        }
      } else if (msg instanceof CloseWebSocketFrame close) {
        closing = true;
        ending("client", close.statusCode() < 0 ? 0 : close.statusCode());
        handshaker.close(ctx.channel(), close.retain());
      } else if (!(msg instanceof WebSocketFrame)) {
        ctx.fireChannelRead(ReferenceCountUtil.retain(msg));
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private boolean atInflightCap() {
    return inflight >= server.config.wsMaxInflightPublishes();
  }

  /**
   * Keeps a text frame that arrived while the in-flight publications are at their cap (frames
   * already decoded from the last read), in order, and stops reading. More than {@link
   * #maxHeldBytes()} held means reading did not stop: the connection is closed with 1008.
   */
  private void hold(WebSocketFrame frame) {
    held.add(frame);
    heldBytes += frame.content().readableBytes();
    pauseReading();
    if (heldBytes > maxHeldBytes()) {
      releaseHeld();
      close(
          1008,
          "more than "
              + maxHeldBytes()
              + " bytes of commands waiting for "
              + server.config.wsMaxInflightPublishes()
              + " publications in flight");
    }
  }

  private long maxHeldBytes() {
    return Math.max(1L << 20, 2L * server.config.maxFrameBytes());
  }

  /** Runs held commands while below the in-flight cap; resumes reading once none is held. */
  private void runHeld() {
    if (runningHeld) {
      return; // a publication answered at once inside the loop below: the loop goes on
    }
    runningHeld = true;
    try {
      while (!held.isEmpty() && !atInflightCap() && ctx.channel().isActive() && !closing) {
        WebSocketFrame frame = held.poll();
        heldBytes -= frame.content().readableBytes();
        try {
          command(frame);
        } finally {
          frame.release();
        }
      }
    } finally {
      runningHeld = false;
    }
    if (held.isEmpty() && !atInflightCap()) {
      resumeReading();
    }
  }

  private void pauseReading() {
    if (!pausedReading) {
      pausedReading = true;
      ConnectionGuard.holdReading(ctx.channel(), true);
    }
  }

  private void resumeReading() {
    if (pausedReading) {
      pausedReading = false;
      ConnectionGuard.holdReading(ctx.channel(), false);
    }
  }

  private void releaseHeld() {
    WebSocketFrame f;
    while ((f = held.poll()) != null) {
      f.release();
    }
    heldBytes = 0;
  }

  /**
   * Takes one token of the connection's command rate limit. When there is none, answers {@code
   * rate_limited} with {@code id} and returns false; a connection refused too often is closed with
   * 1008.
   */
  private boolean allowed(String id) {
    if (limiter == null) {
      return true;
    }
    RateLimiter.Refusal refusal = limiter.tryAcquire();
    if (refusal == null) {
      return true;
    }
    send(error(id, refusal.error()));
    if (refusal.close()) {
      close(1008, refusal.closeReason());
    }
    return false;
  }

  private void command(WebSocketFrame frame) {
    ByteBuf content = frame.content();
    byte[] bytes;
    byte[] data = null;
    WebSocketCommand command;
    try {
      if (frame instanceof BinaryWebSocketFrame) {
        // the JSON and the data are copied out of the frame once each, not the whole frame first
        int at = content.readerIndex();
        int length = content.readableBytes();
        byte[] prefix = new byte[BinaryFrames.PREFIX_BYTES];
        content.getBytes(at, prefix, 0, Math.min(length, prefix.length));
        int n;
        try {
          n = BinaryFrames.headLength(prefix, length);
        } catch (ProtocolException e) {
          throw new WebSocketCommand.Invalid(null, e);
        }
        bytes = ByteBufUtil.getBytes(content, at + BinaryFrames.PREFIX_BYTES, n);
        int dataAt = BinaryFrames.PREFIX_BYTES + n;
        data = ByteBufUtil.getBytes(content, at + dataAt, length - dataAt);
      } else {
        bytes = ByteBufUtil.getBytes(content);
      }
      command = WebSocketCommand.parse(bytes);
    } catch (WebSocketCommand.Invalid e) {
      if (allowed(e.id())) {
        send(error(e.id(), e.error()));
      }
      return;
    }
    String id = command.id();
    if (!allowed(id)) {
      return;
    }
    try {
      if (data != null) {
        if (!command.type().equals("publish")) {
          throw new ProtocolException(
              ErrorCode.INVALID_REQUEST,
              "a binary frame carries a publish command, not '"
                  + command.printableType()
                  + "'; send other commands as text frames");
        }
        publishBinary(id, command, data);
        return;
      }
      switch (command.type()) {
        case "subscribe" -> subscribe(id, command);
        case "unsubscribe" -> unsubscribe(id, command);
        case "publish" -> publish(id, command);
        case "connect" -> authenticate(id, command, "connected");
        case "refresh" -> authenticate(id, command, "refreshed");
        case "ping" -> send(reply("pong", id));
        default ->
            throw new ProtocolException(
                ErrorCode.INVALID_REQUEST,
                "unknown command type '"
                    + command.printableType()
                    + "'; use subscribe, unsubscribe, publish, ping, connect or refresh");
      }
    } catch (ProtocolException e) {
      send(error(id, e));
    } catch (RuntimeException e) {
      // a server fault, never the client's: the client still hears back
      HttpRouter.LOG.error(
          "WebSocket command '{}' from {} failed",
          command.printableType(),
          ctx.channel().remoteAddress(),
          e);
      send(
          error(
              id,
              new ProtocolException(
                  ErrorCode.INTERNAL, "the server could not carry out the command; retry later")));
    }
  }

  private void subscribe(String id, WebSocketCommand command) {
    String channel = Names.channel(command.requireString("channel"));
    WebSocketCommand.Field sinceField = command.field("since");
    Position since = null;
    if (sinceField != null && sinceField.token() != JsonToken.VALUE_NULL) {
      if (sinceField.token() != JsonToken.VALUE_STRING
          && sinceField.token() != JsonToken.VALUE_NUMBER_INT) {
        throw new ProtocolException(
            ErrorCode.INVALID_CURSOR, "'since' must be a position string such as \"k3f9:17\"");
      }
      since = sinceField.text().isEmpty() ? null : Position.parse(sinceField.text());
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

  private void unsubscribe(String id, WebSocketCommand command) {
    String channel = Names.channel(command.requireString("channel"));
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

  /**
   * Publishes the command's {@code data} exactly as the client sent it: its bytes are taken from
   * the frame (only line breaks between tokens become spaces, as for HTTP publish), never decoded
   * and re-encoded. At most {@link io.herald.server.ServerConfig#wsMaxInflightPublishes()} wait for
   * the broker at once; at the cap the connection stops reading until one is answered.
   */
  private void publish(String id, WebSocketCommand command) {
    publish(id, command, command.raw("data"), null);
  }

  /**
   * A binary frame's publication (PROTOCOL.md section 11): its JSON is the {@code publish} command
   * without {@code data}, with an optional {@code contentType} (default {@value
   * ContentTypes#DEFAULT_BINARY}, never JSON or text); the bytes after it are published byte for
   * byte, under the same size limit, rights, idempotency and in-flight cap as a text publication.
   */
  private void publishBinary(String id, WebSocketCommand command, byte[] data) {
    if (command.field("data") != null) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "a binary frame's JSON carries no 'data': the bytes after the JSON are the data");
    }
    String type = command.string("contentType", ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    String contentType =
        ContentTypes.requireBinary(type == null ? ContentTypes.DEFAULT_BINARY : type);
    publish(id, command, data, contentType);
  }

  private void publish(String id, WebSocketCommand command, byte[] bytes, String contentType) {
    String channel = Names.channel(command.requireString("channel"));
    String event = Names.event(command.string("event", ErrorCode.INVALID_EVENT));
    server.authorizer.checkPublish(principal, channel);
    publicUse();
    if (bytes == null) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST, "publish needs 'data': any JSON value");
    }
    if (bytes.length > server.config.maxMessageBytes()) {
      throw PublishHandler.tooLarge(bytes.length, server.config.maxMessageBytes());
    }
    String idempotencyKey = idempotencyKey(command);
    CompletableFuture<Message> publication =
        server.hub.publish(channel, event, bytes, contentType, idempotencyKey);
    server.metrics.publishing(true, publication);
    inflight++; // after publish(): a publication refused by a throw is not in flight
    // Always a task, never inline: a publication sent from runHeld() that the broker answers before
    // this line would otherwise be answered inline, ahead of an earlier publication whose answer
    // is already queued on the event loop (answers must keep the broker's order)
    publication.whenCompleteAsync(
        (m, error) -> {
          inflight--;
          published(id, m, error);
          runHeld();
        },
        ctx.executor());
    if (atInflightCap()) {
      pauseReading();
    }
  }

  /** The optional {@code idempotencyKey} of a publish command, checked, or {@code null}. */
  private static String idempotencyKey(WebSocketCommand command) {
    String key;
    try {
      key = command.string("idempotencyKey", ErrorCode.INVALID_REQUEST);
    } catch (ProtocolException e) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST,
          "'idempotencyKey' must be a string of 1 to "
              + IdempotencyKeys.MAX_LENGTH
              + " printable ASCII characters");
    }
    if (key == null) {
      return null;
    }
    try {
      return IdempotencyKeys.check(key);
    } catch (ProtocolException e) {
      throw new ProtocolException(e.code(), "'idempotencyKey': " + e.getMessage());
    }
  }

  private void published(String id, Message m, Throwable error) {
    if (error != null) {
      Throwable cause =
          error instanceof CompletionException && error.getCause() != null
              ? error.getCause()
              : error;
      send(
          error(id, cause instanceof ProtocolException pe ? pe : PublishHandler.unexpected(cause)));
      return;
    }
    server.activity.published(m.channel());
    ObjectNode r = reply("published", id);
    r.put("channel", m.channel());
    r.put("offset", m.offset());
    r.put("epoch", m.epoch());
    send(r);
  }

  private ObjectNode subscribed(String id, Subscription s) {
    ObjectNode r = reply("subscribed", id);
    r.put("channel", s.channel());
    r.put("position", s.startPosition().toString());
    r.put("recovered", s.recovered());
    return r;
  }

  /**
   * {@code connect} and {@code refresh} (PROTOCOL.md section 10): verifies the token, makes it the
   * connection's principal and moves the expiry; a refresh keeps the user and must still grant
   * every open subscription, else the connection closes with 4003.
   */
  private void authenticate(String id, WebSocketCommand command, String answer) {
    ObjectNode r = reply(answer, id);
    if (!server.authorizer.enabled()) {
      send(r); // no credential configured: everything is public, the token is not needed
      return;
    }
    Principal next = server.authorizer.verify(command.requireString("token"));
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
        send(error(id, e)); // names the channel; a close reason holds at most 123 bytes
        close(4003, "the new token does not grant every subscribed channel");
        return;
      }
    }
    principal = next;
    publicUse();
    scheduleExpiry();
    if (answer.equals("connected")) {
      r.put("user", next.user());
    }
    if (next.expires() != null) {
      r.put("expires", next.expires().toEpochMilli());
    }
    send(r);
  }

  /** An allowed command: this connection needs no {@code connect} deadline any more. */
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

  /** A reply frame; {@code id} is the command's id as its exact JSON text, or null. */
  private static ObjectNode reply(String type, String id) {
    ObjectNode r = Json.MAPPER.createObjectNode();
    r.put("type", type);
    if (id != null) {
      r.putRawValue("id", new RawValue(id));
    }
    return r;
  }

  private ObjectNode error(String id, ProtocolException e) {
    server.metrics.refusedOverWebSocket(e.code());
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
    Message.Encoding<io.netty.buffer.ByteBuf> form =
        binaryFrames && m.isBinary()
            ? WireEncodings.WEBSOCKET_BINARY_FRAME
            : WireEncodings.WEBSOCKET_FRAME;
    ctx.write(m.encoded(form).duplicate(), ctx.voidPromise());
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
    ending("server", code);
    releaseHeld();
    resumeReading(); // so the client's close frame, or the end of the stream, is seen
    ctx.writeAndFlush(new CloseWebSocketFrame(code, reason))
        .addListener(ChannelFutureListener.CLOSE);
    // a client that does not read never lets the close frame out: end the connection anyway
    ctx.executor()
        .schedule(
            () -> {
              if (ctx.channel().isActive()) {
                ctx.channel().close();
              }
            },
            CLOSE_GRACE_MILLIS,
            TimeUnit.MILLISECONDS);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == ServerShutdown.INSTANCE) {
      close(1001, ServerShutdown.closeReason(ServerShutdown.retryAfterMillis()));
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
    releaseHeld();
    super.closeSubscriptions();
  }
}
