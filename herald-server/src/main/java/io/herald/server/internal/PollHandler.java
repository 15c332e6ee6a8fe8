package io.herald.server.internal;

import io.herald.core.Cursor;
import io.herald.core.ErrorCode;
import io.herald.core.Message;
import io.herald.core.Position;
import io.herald.core.ProtocolException;
import io.herald.core.Subscription;
import io.herald.server.ServerConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One short or long poll (PROTOCOL.md section 6): opens a cursor per listed channel at the
 * request's {@code since}, answers what lies after it (at most {@code limit} messages, merged
 * across channels in the order the server accepted them), or, for a long poll with nothing to
 * answer, parks until a message arrives or {@code wait} seconds pass. Keeps no state after
 * answering: the cursor travels in the request. {@code Prefer: wait=N} follows RFC 7240 and is
 * echoed in {@code Preference-Applied}.
 *
 * <p>Confined to the channel's event loop.
 */
final class PollHandler {
  private static final Pattern PREFER_WAIT =
      Pattern.compile("(?i)(?:^|[;,\\s])wait\\s*=\\s*\"?(\\d{1,9})\"?");
  private static final byte[] OPEN = "{\"messages\":[".getBytes(StandardCharsets.US_ASCII);
  private static final ByteBuf COMMA =
      Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(new byte[] {','}));

  private final ChannelHandlerContext ctx;
  private final ServerContext server;
  private final List<String> channels;
  private final Cursor since;
  private final int limit;
  private final Integer wait;
  private final boolean keepAlive;
  private final Subscription[] subscriptions;
  private int opening;
  private boolean done;
  private boolean parked;
  private ScheduledFuture<?> timeout;
  private final ChannelFutureListener onClose = f -> finish();
  private java.time.Instant expires;
  private PollCaching caching;

  PollHandler(
      ChannelHandlerContext ctx,
      ServerContext server,
      List<String> channels,
      Cursor since,
      int limit,
      Integer wait,
      boolean keepAlive) {
    this.ctx = ctx;
    this.server = server;
    this.channels = channels;
    this.since = since;
    this.limit = limit;
    this.wait = wait;
    this.keepAlive = keepAlive;
    this.subscriptions = new Subscription[channels.size()];
    this.opening = channels.size();
  }

  /**
   * The wait a request asks for, in seconds, cut to the server's maximum; {@code null} for a short
   * poll.
   */
  static Integer requestedWait(QueryStringDecoder uri, HttpHeaders headers) {
    String q = Query.single(uri, "wait");
    if (q != null) {
      return Query.intInRange("wait", q, 0, Integer.MAX_VALUE);
    }
    for (String prefer : headers.getAll("Prefer")) {
      Matcher m = PREFER_WAIT.matcher(prefer);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    return null;
  }

  /** The {@code limit} of a request, or the server's default. */
  static int limit(QueryStringDecoder uri, ServerConfig config) {
    String q = Query.single(uri, "limit");
    return q == null ? config.pollLimit() : Query.intInRange("limit", q, 1, config.maxPollLimit());
  }

  /** The token's expiry ({@code null} for none): a parked poll answers no later than it. */
  PollHandler expires(java.time.Instant at) {
    this.expires = at;
    return this;
  }

  /** The HTTP caching of this poll's answer (ETag, 304, Cache-Control); none when not set. */
  PollHandler caching(PollCaching caching) {
    this.caching = caching;
    return this;
  }

  void start() {
    ctx.channel().closeFuture().addListener(onClose);
    Runnable listener = wait != null && wait > 0 ? this::onAppend : null;
    for (int i = 0; i < channels.size(); i++) {
      int index = i;
      server
          .hub
          .subscribe(channels.get(i), since.get(i), ctx.executor(), listener)
          .whenComplete((s, error) -> EventLoops.runOn(ctx, () -> opened(index, s, error)));
    }
  }

  private void opened(int index, Subscription s, Throwable error) {
    if (done) {
      if (s != null) {
        s.close();
      }
      return;
    }
    if (error != null) {
      Throwable cause =
          error instanceof CompletionException && error.getCause() != null
              ? error.getCause()
              : error;
      respond(
          HttpResponses.error(
              cause instanceof ProtocolException pe
                  ? pe
                  : new ProtocolException(
                      ErrorCode.UNAVAILABLE,
                      "cannot read the channel now: " + cause.getMessage())));
      return;
    }
    subscriptions[index] = s;
    if (--opening > 0) {
      return;
    }
    if (answer(false)) {
      return;
    }
    if (wait == null || wait == 0) {
      answer(true);
      return;
    }
    if (server.parkedPolls.incrementAndGet() > server.config.maxParkedPolls()) {
      server.parkedPolls.decrementAndGet();
      respond(
          HttpResponses.error(
              ErrorCode.OVER_CAPACITY,
              "this server holds its limit of "
                  + server.config.maxParkedPolls()
                  + " waiting long polls; retry, or poll without wait"));
      return;
    }
    parked = true;
    server.parked.add(this);
    long millis = Math.min(wait, server.config.maxWait().toSeconds()) * 1000;
    if (expires != null) {
      // a parked poll never outlives its token: it answers (empty) at exp, the next poll gets 401
      millis = Math.max(0, Math.min(millis, expires.toEpochMilli() - System.currentTimeMillis()));
    }
    timeout = ctx.executor().schedule(() -> answer(true), millis, TimeUnit.MILLISECONDS);
  }

  private void onAppend() {
    if (!done && opening == 0) {
      answer(false);
    }
  }

  /** The connection this poll answers on. */
  io.netty.channel.Channel channel() {
    return ctx.channel();
  }

  /** Answers at once with what there is; used at shutdown. Any thread. */
  void answerNow() {
    ctx.executor()
        .execute(
            () -> {
              if (!done && opening == 0) {
                answer(true);
              }
            });
  }

  /**
   * Reads every cursor; answers when there is something, or when {@code evenIfEmpty}.
   *
   * @return whether it answered
   */
  private boolean answer(boolean evenIfEmpty) {
    if (done) {
      return true;
    }
    List<Message> all = new ArrayList<>();
    Position[] positions = new Position[subscriptions.length];
    boolean recovered = true;
    for (int i = 0; i < subscriptions.length; i++) {
      Subscription s = subscriptions[i];
      recovered &= s.recovered();
      Position gap = s.read(all, limit);
      positions[i] = gap != null ? gap : s.startPosition();
      recovered &= gap == null;
    }
    if (all.isEmpty() && !evenIfEmpty && recovered) {
      return false;
    }
    if (subscriptions.length > 1) {
      all.sort(
          Comparator.comparingLong(Message::time)); // stable: keeps offset order within a channel
    }
    List<Message> taken = all.size() > limit ? all.subList(0, limit) : all;
    for (Message m : taken) {
      positions[channels.indexOf(m.channel())] = m.position();
    }
    String cursor = Cursor.of(java.util.Arrays.asList(positions)).toString();
    String etag = caching == null ? null : caching.etag(limit, cursor, recovered, taken.size());
    if (etag != null && caching.notModified(etag)) {
      // the client holds this very answer (a long poll gets here only with messages to answer,
      // or at the end of its wait: an empty answer it already had is "nothing new")
      server.metrics.pollNotModified(wait != null);
      FullHttpResponse notModified = caching.notModifiedResponse(etag);
      preferenceApplied(notModified);
      respond(notModified);
      return true;
    }
    server.metrics.pollAnswered(wait != null, taken.size());
    int run = 0; // one count per run of a channel's messages, not one per message
    for (int i = 0; i < taken.size(); i++) {
      run++;
      String channel = taken.get(i).channel();
      if (i + 1 == taken.size() || !taken.get(i + 1).channel().equals(channel)) {
        server.activity.delivered(channel, run);
        run = 0;
      }
    }
    CompositeByteBuf body = ctx.alloc().compositeBuffer(taken.size() * 2 + 2);
    body.addComponent(true, Unpooled.wrappedBuffer(OPEN));
    for (int i = 0; i < taken.size(); i++) {
      if (i > 0) {
        body.addComponent(true, COMMA.duplicate());
      }
      Message m = taken.get(i);
      body.addComponent(
          true,
          m.isBinary() // its base64 envelope, built once and shared
              ? m.encoded(WireEncodings.ENVELOPE).duplicate()
              : Unpooled.wrappedBuffer(m.envelope()));
    }
    String tail = "],\"cursor\":\"" + cursor + "\",\"recovered\":" + recovered + "}";
    body.addComponent(true, Unpooled.wrappedBuffer(tail.getBytes(StandardCharsets.US_ASCII)));
    FullHttpResponse r = HttpResponses.json(HttpResponseStatus.OK, body);
    if (etag != null) {
      caching.apply(r.headers(), etag);
    }
    preferenceApplied(r);
    respond(r);
    return true;
  }

  private void preferenceApplied(FullHttpResponse r) {
    if (wait != null) {
      r.headers()
          .set("Preference-Applied", "wait=" + Math.min(wait, server.config.maxWait().toSeconds()));
      if (!r.headers().containsValue("Vary", "Prefer", true)) {
        r.headers().add("Vary", "Prefer");
      }
    }
  }

  private void respond(FullHttpResponse response) {
    finish();
    HttpResponses.write(ctx, response, keepAlive && !server.shuttingDown);
  }

  private void finish() {
    if (done) {
      return;
    }
    done = true;
    ctx.channel().closeFuture().removeListener(onClose);
    if (timeout != null) {
      timeout.cancel(false);
    }
    if (parked) {
      server.parkedPolls.decrementAndGet();
      server.parked.remove(this);
    }
    for (Subscription s : subscriptions) {
      if (s != null) {
        s.close();
      }
    }
  }

  /** The channels this poll reads, for the subscription gauge. */
  int channelCount() {
    return channels.size();
  }
}
