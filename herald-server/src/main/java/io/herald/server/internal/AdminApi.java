package io.herald.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.core.BrokerNode;
import io.herald.core.ContentTypes;
import io.herald.core.ErrorCode;
import io.herald.core.History;
import io.herald.core.Hub;
import io.herald.core.Json;
import io.herald.core.Message;
import io.herald.core.Names;
import io.herald.core.ProtocolException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The admin page ({@code /admin}) and its JSON API ({@code /admin/api/...}), served only when an
 * admin password or an API key is configured (else the router answers {@code 404}). Every API path
 * but the sign-in needs {@link AdminAuth}'s credentials; the page itself holds no data and is
 * served to anyone who can reach it.
 *
 * <ul>
 *   <li>{@code POST /admin/api/session} {@code {"password":"..."}}: signs in with the admin
 *       password or an API key; answers {@code {"token":"...","expiresInSeconds":900}}.
 *   <li>{@code GET /admin/api/overview}: this node, its broker, and per transport the open
 *       connections and subscriptions, and messages in and out (totals and per second over the last
 *       few seconds).
 *   <li>{@code GET /admin/api/nodes}: the nodes on the broker ({@link
 *       io.herald.core.Broker#nodes}).
 *   <li>{@code GET /admin/api/channels?top=N}: the busiest channels on this node ({@link
 *       ChannelActivity}), N from 1 to 100 (default 10).
 *   <li>{@code GET /admin/api/channels/NAME?recent=N}: the inspector: the broker's epoch and head,
 *       the retained history's size in messages and bytes, this node's copy and subscribers, and
 *       the last N messages (0 to 100, default 20). Reading a channel that does not exist creates
 *       it, empty, in the broker (as a subscription would).
 *   <li>{@code POST /admin/api/channels/NAME} {@code {"event":"...","json":"<one JSON value>"}}:
 *       publishes, as an API key may on any channel; answers {@code 201} with offset and epoch.
 * </ul>
 *
 * <p>Bodies must be {@code application/json}, which a cross-site form cannot send; answers are
 * {@code Cache-Control: no-store}. The counters are read only when the page asks; per-second rates
 * come from the readings of the last few seconds. One instance per server, called from the event
 * loops. Thread-safe.
 */
final class AdminApi {
  private static final String API = "/admin/api/";
  private static final String CHANNELS = API + "channels/";

  /** Bytes of a binary message the inspector shows (base64), at most. */
  static final int BINARY_SHOWN = 1024;

  /** Seconds of samples the per-second rates are computed over. */
  static final int RATE_SECONDS = 5;

  private final ServerContext server;
  private final AdminAuth auth;
  private final StaticFiles page = new StaticFiles("admin/");
  private final long startedAt = System.currentTimeMillis();
  private final ArrayDeque<Sample> samples = new ArrayDeque<>(); // guarded by itself
  private volatile String nodeId = "this-node";

  /** The counters at one moment. */
  private record Sample(long nanos, List<LiveCounters.Row> rows) {}

  AdminApi(ServerContext server) {
    this.server = server;
    this.auth = new AdminAuth(server.config, server.authorizer, Clock.systemUTC());
  }

  /**
   * Starts the busiest channels' window rotation on {@code loop}, as node {@code nodeId}. The
   * counters are read only when the page asks (no work while nobody looks).
   */
  void start(ScheduledExecutorService loop, String nodeId) {
    this.nodeId = nodeId;
    loop.scheduleAtFixedRate(
        server.activity::rotate,
        ChannelActivity.WINDOW_SECONDS,
        ChannelActivity.WINDOW_SECONDS,
        TimeUnit.SECONDS);
  }

  /**
   * Reads the counters now and keeps the reading for the rates: readings at least a second apart,
   * over the last {@value #RATE_SECONDS} s or so. Answers the oldest kept reading and the new one.
   */
  private Sample[] sample() {
    long now = System.nanoTime();
    Sample s = new Sample(now, server.counters().rows());
    synchronized (samples) {
      Sample last = samples.peekLast();
      if (last == null || now - last.nanos() >= 900_000_000L) {
        samples.addLast(s);
      }
      while (samples.size() > 1
          && now - samples.peekFirst().nanos() > (RATE_SECONDS + 1) * 1_000_000_000L) {
        samples.removeFirst();
      }
      return new Sample[] {samples.peekFirst(), s};
    }
  }

  /**
   * Answers a request for {@code /admin} or a path under it.
   *
   * @throws ProtocolException the error to answer (the router writes it)
   */
  void handle(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      QueryStringDecoder uri,
      boolean keepAlive) {
    try {
      route(ctx, request, uri, keepAlive);
    } catch (MethodNotAllowed e) {
      FullHttpResponse r = HttpResponses.error(e);
      r.headers().set(HttpHeaderNames.ALLOW, e.allowed);
      HttpResponses.write(ctx, r, keepAlive);
    }
  }

  private void route(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      QueryStringDecoder uri,
      boolean keepAlive) {
    String path = uri.path();
    HttpMethod method = request.method();
    if (!path.startsWith(API)) {
      String file =
          path.equals("/admin") || path.equals("/admin/") ? "/index.html" : path.substring(6);
      StaticFiles.Asset asset =
          page.find(file)
              .orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND, "nothing at " + path));
      requireMethod(method, path, "GET, HEAD", HttpMethod.GET, HttpMethod.HEAD);
      HttpResponses.write(ctx, asset(asset, method), keepAlive);
      return;
    }
    if (path.equals(API + "session")) {
      requireMethod(method, path, "POST", HttpMethod.POST);
      JsonNode body = body(request);
      String token = auth.signIn(text(body, "password"));
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("token", token);
      r.put("expiresInSeconds", auth.sessionMillis() / 1000);
      write(ctx, HttpResponseStatus.OK, r, keepAlive);
      return;
    }
    auth.check(
        request.headers().get(HttpHeaderNames.AUTHORIZATION), request.headers().get("X-Api-Key"));
    if (path.equals(API + "overview")) {
      requireMethod(method, path, "GET, HEAD", HttpMethod.GET, HttpMethod.HEAD);
      // off the event loop: reading the counters passes over every open connection
      later(
          ctx,
          CompletableFuture.supplyAsync(this::overview, GlobalEventExecutor.INSTANCE),
          keepAlive);
    } else if (path.equals(API + "nodes")) {
      requireMethod(method, path, "GET, HEAD", HttpMethod.GET, HttpMethod.HEAD);
      later(ctx, server.hub.broker().nodes().thenApply(this::nodes), keepAlive);
    } else if (path.equals(API + "channels")) {
      requireMethod(method, path, "GET, HEAD", HttpMethod.GET, HttpMethod.HEAD);
      int n = number(uri, "top", 10, 1, ChannelActivity.MAX_TOP);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("windowSeconds", ChannelActivity.WINDOW_SECONDS);
      r.put("channels", server.activity.top(n));
      write(ctx, HttpResponseStatus.OK, r, keepAlive);
    } else if (path.startsWith(CHANNELS)) {
      String channel = Names.channel(path.substring(CHANNELS.length()));
      if (method.equals(HttpMethod.POST)) {
        publish(ctx, request, channel, keepAlive);
      } else {
        requireMethod(method, path, "GET, HEAD, POST", HttpMethod.GET, HttpMethod.HEAD);
        int recent = number(uri, "recent", 20, 0, 100);
        later(
            ctx,
            server.hub.broker().history(channel, 0).thenApply(h -> inspect(channel, h, recent)),
            keepAlive);
      }
    } else {
      throw new ProtocolException(
          ErrorCode.NOT_FOUND,
          "nothing at "
              + path
              + "; the admin API has session, overview, nodes, channels and channels/NAME");
    }
  }

  private Map<String, Object> overview() {
    Sample[] pair = sample();
    Sample first = pair[0];
    Sample last = pair[1];
    List<LiveCounters.Row> now = last.rows();
    List<Map<String, Object>> rows = new ArrayList<>();
    double seconds = first == last ? 0 : (last.nanos() - first.nanos()) / 1_000_000_000.0;
    for (int i = 0; i < now.size(); i++) {
      LiveCounters.Row r = now.get(i);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", r.name());
      row.put("connections", r.connections());
      row.put("subscriptions", r.subscriptions());
      row.put("messagesIn", r.messagesIn());
      row.put("messagesOut", r.messagesOut());
      row.put(
          "inPerSecond",
          seconds == 0
              ? 0.0
              : rate(last.rows().get(i).messagesIn() - first.rows().get(i).messagesIn(), seconds));
      row.put(
          "outPerSecond",
          seconds == 0
              ? 0.0
              : rate(
                  last.rows().get(i).messagesOut() - first.rows().get(i).messagesOut(), seconds));
      rows.add(row);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("node", nodeId);
    r.put("broker", server.hub.broker().describe());
    r.put("brokerUp", server.hub.broker().isAvailable());
    r.put("startedAt", startedAt);
    r.put("uptimeSeconds", (System.currentTimeMillis() - startedAt) / 1000);
    r.put("connections", server.connections());
    r.put("activeChannels", server.hub.activeChannels());
    r.put("parkedPolls", server.parkedPolls());
    r.put("countersSource", server.counters().source());
    r.put("rateSeconds", Math.round(seconds));
    r.put("transports", rows);
    return r;
  }

  private static double rate(long delta, double seconds) {
    return Math.round(delta / seconds * 10) / 10.0;
  }

  /** This node's details as it announces them on the broker: one JSON object. */
  String nodeDetails() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("startedAt", startedAt);
    d.put("connections", server.connections());
    d.put("activeChannels", server.hub.activeChannels());
    d.put("subscribers", server.hub.subscriberCount());
    d.put("admin", true);
    try {
      return Json.MAPPER.writeValueAsString(d);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Map<String, Object> nodes(List<BrokerNode> nodes) {
    long now = System.currentTimeMillis();
    List<Map<String, Object>> out = new ArrayList<>();
    for (BrokerNode n : nodes) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", n.id());
      m.put("self", n.id().equals(nodeId));
      m.put("seenMillisAgo", Math.max(0, now - n.seenMillis()));
      try {
        m.put("details", Json.MAPPER.readTree(n.details()));
      } catch (IOException e) {
        m.put("details", n.details());
      }
      out.add(m);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("broker", server.hub.broker().describe());
    r.put("nodes", out);
    return r;
  }

  private Map<String, Object> inspect(String channel, History h, int recent) {
    long bytes = 0;
    for (Message m : h.messages()) {
      bytes += m.retainedBytes();
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("channel", channel);
    r.put("epoch", h.epoch());
    r.put("head", h.head());
    r.put("position", h.epoch() + ":" + h.head());
    r.put("historyMessages", h.messages().size());
    r.put("historyBytes", bytes);
    r.put("firstOffset", h.messages().isEmpty() ? h.head() + 1 : h.messages().get(0).offset());
    Hub.ChannelStats here = server.hub.channelStats(channel);
    r.put("activeHere", here != null);
    r.put("subscribersHere", here == null ? 0 : here.subscribers());
    if (here != null) {
      Map<String, Object> local = new LinkedHashMap<>();
      local.put("epoch", here.epoch());
      local.put("head", here.head());
      local.put("messages", here.messages());
      local.put("bytes", here.bytes());
      r.put("local", local);
    }
    List<Message> all = h.messages();
    List<Map<String, Object>> messages = new ArrayList<>();
    for (int i = Math.max(0, all.size() - recent); i < all.size(); i++) {
      Message m = all.get(i);
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("offset", m.offset());
      e.put("event", m.event());
      e.put("time", m.time());
      e.put("bytes", m.dataSize());
      if (m.isBinary()) {
        // binary (PROTOCOL.md section 11): its type and its first bytes, in standard base64
        byte[] d = m.data();
        e.put("contentType", m.contentType());
        e.put(
            "base64",
            java.util.Base64.getEncoder()
                .encodeToString(d.length > BINARY_SHOWN ? Arrays.copyOf(d, BINARY_SHOWN) : d));
      } else {
        e.put("json", new String(m.data(), StandardCharsets.UTF_8));
      }
      messages.add(e);
    }
    r.put("recent", messages);
    return r;
  }

  private void publish(
      ChannelHandlerContext ctx, FullHttpRequest request, String channel, boolean keepAlive) {
    JsonNode body = body(request);
    String event = Names.event(text(body, "event"));
    String json = text(body, "json");
    if (json == null) {
      throw new ProtocolException(
          ErrorCode.INVALID_REQUEST, "send {\"json\": \"<one JSON value as text>\"}");
    }
    byte[] data = json.getBytes(StandardCharsets.UTF_8);
    if (data.length > server.config.maxMessageBytes()) {
      throw PublishHandler.tooLarge(data.length, server.config.maxMessageBytes());
    }
    try {
      data = Json.requireValue(data);
    } catch (ProtocolException e) {
      throw new ProtocolException(
          e.code(), "'json' must hold one JSON value: " + e.getMessage().replace("the body ", ""));
    }
    CompletableFuture<Message> publication = server.hub.publish(channel, event, data);
    server.metrics.publishing(false, publication); // an HTTP publication, as the metrics count it
    CompletableFuture<Object> answer =
        publication.thenApply(
            m -> {
              server.activity.published(channel);
              return PublishHandler.published(m);
            });
    later(ctx, answer, HttpResponseStatus.CREATED, keepAlive);
  }

  private void later(ChannelHandlerContext ctx, CompletableFuture<?> f, boolean keepAlive) {
    later(ctx, f, HttpResponseStatus.OK, keepAlive);
  }

  /** Writes {@code f}'s value as JSON once it completes, or its error, on the event loop. */
  private void later(
      ChannelHandlerContext ctx,
      CompletableFuture<?> f,
      HttpResponseStatus status,
      boolean keepAlive) {
    f.whenComplete(
        (value, error) ->
            EventLoops.runOn(
                ctx,
                () -> {
                  if (error == null) {
                    write(ctx, status, value, keepAlive);
                    return;
                  }
                  Throwable cause =
                      error instanceof CompletionException && error.getCause() != null
                          ? error.getCause()
                          : error;
                  ProtocolException pe =
                      cause instanceof ProtocolException p
                          ? p
                          : new ProtocolException(
                              ErrorCode.UNAVAILABLE,
                              "the broker did not answer: " + cause.getMessage());
                  HttpResponses.write(ctx, noStore(HttpResponses.error(pe)), keepAlive);
                }));
  }

  private static void write(
      ChannelHandlerContext ctx, HttpResponseStatus status, Object value, boolean keepAlive) {
    HttpResponses.write(ctx, noStore(HttpResponses.json(status, value)), keepAlive);
  }

  private static FullHttpResponse noStore(FullHttpResponse r) {
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    return r;
  }

  private static FullHttpResponse asset(StaticFiles.Asset asset, HttpMethod method) {
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(asset.bytes()));
    r.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, asset.contentType())
        .setInt(HttpHeaderNames.CONTENT_LENGTH, asset.bytes().length)
        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
        .set(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
        .set("X-Frame-Options", "DENY")
        .set("X-Content-Type-Options", "nosniff")
        .set("Referrer-Policy", "no-referrer");
    return r;
  }

  /** The request's JSON object body; {@code 415} unless {@code application/json}. */
  private static JsonNode body(FullHttpRequest request) {
    String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
    if (!ContentTypes.mediaType(type).equals("application/json")) {
      throw new ProtocolException(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "the admin API takes application/json bodies, got '" + type + "'");
    }
    byte[] bytes = Json.requireValue(HttpRouter.body(request));
    try {
      JsonNode node = Json.MAPPER.readTree(bytes);
      if (!node.isObject()) {
        throw new ProtocolException(ErrorCode.INVALID_REQUEST, "send a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new ProtocolException(ErrorCode.INVALID_JSON, "the body is not valid JSON");
    }
  }

  /** A text field of {@code body}, or null when absent; {@code 400} when not a string. */
  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new ProtocolException(ErrorCode.INVALID_REQUEST, "'" + field + "' must be a string");
    }
    return v.textValue();
  }

  private static int number(QueryStringDecoder uri, String name, int dflt, int min, int max) {
    String v = Query.single(uri, name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new ProtocolException(
        ErrorCode.INVALID_REQUEST, name + " must be a whole number from " + min + " to " + max);
  }

  private static void requireMethod(
      HttpMethod method, String path, String allowed, HttpMethod... ok) {
    for (HttpMethod m : ok) {
      if (m.equals(method)) {
        return;
      }
    }
    throw new MethodNotAllowed(
        method + " is not allowed on " + path + "; allowed: " + allowed, allowed);
  }

  /** A 405 that carries its {@code Allow} value. */
  static final class MethodNotAllowed extends ProtocolException {
    final String allowed;

    MethodNotAllowed(String message, String allowed) {
      super(ErrorCode.METHOD_NOT_ALLOWED, message);
      this.allowed = allowed;
    }
  }
}
