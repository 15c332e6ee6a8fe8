package io.herald.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The attackers of the {@code hostile} scenario: hostile clients of several kinds (see {@link
 * Kind}), each kind with a count and a timeout within which a well-defended server disconnects or
 * refuses it. Every connection is accounted from the moment it is opened to its first <em>end</em>:
 * <em>refused</em> (the TCP connect failed, or the server answered with an HTTP status of 400 or
 * more, a WebSocket close frame or an {@code error} frame), <em>disconnected</em> (the server
 * closed or reset the connection without an answer) or <em>accepted</em> (a malformed request
 * answered with a success status). Whatever has not ended when the attack stops counts as <em>still
 * open</em>.
 *
 * <p>Loopback only: the target must be on 127.0.0.0/8 ({@link #Attackers} refuses anything else).
 * Connections come from 127.0.0.101 upwards (the subscribers use 127.0.0.1 upwards). Everything
 * runs on one event loop of its own; a launcher thread opens the connections at most {@code
 * connectConcurrency} at a time. {@link #start}, {@link #progress} and {@link #stop} are called
 * from the runner's thread; everything else runs on the loop.
 */
final class Attackers implements Runner.Sidecar {

  /** The kinds of attacker, with the timeout used when {@code --attack} gives none. */
  enum Kind {
    /** WebSocket clients that send commands in a loop and never read (small receive buffer). */
    WS_FLOOD(
        "ws-flood",
        10,
        "WebSocket clients that send commands in a loop and never read (4 KiB receive buffer)"),
    /** Request heads sent one byte every few seconds. */
    SLOWLORIS("slowloris", 15, "a request head sent one byte every --slowloris-interval"),
    /** A POST whose body trickles in. */
    SLOW_BODY(
        "slow-body", 40, "a POST whose 65,536-byte body trickles one byte per --body-interval"),
    /** Connections that send nothing. */
    SILENT("silent", 15, "TCP connections that send nothing"),
    /** Publications to ever new channels, as fast as answers come (or at --flood-rate). */
    CHANNEL_FLOOD(
        "channel-flood",
        10,
        "keep-alive connections publishing to a new channel each time, as fast as answered"),
    /** Malformed HTTP, invalid WebSocket frames, bad JSON commands; one connection each. */
    BAD_REQUESTS(
        "bad-requests",
        5,
        "loops of connections each sending one malformed request, frame or command");

    final String wireName;
    final double defaultTimeoutSeconds;
    final String description;

    Kind(String wireName, double defaultTimeoutSeconds, String description) {
      this.wireName = wireName;
      this.defaultTimeoutSeconds = defaultTimeoutSeconds;
      this.description = description;
    }

    static Kind parse(String s) {
      for (Kind k : values()) {
        if (k.wireName.equalsIgnoreCase(s.trim())) {
          return k;
        }
      }
      List<String> names = new ArrayList<>();
      for (Kind k : values()) {
        names.add(k.wireName);
      }
      throw new IllegalArgumentException(
          "unknown attacker kind '" + s + "'; use one of " + String.join(", ", names));
    }
  }

  /**
   * One {@code --attack} spec, {@code KIND=COUNT[:TIMEOUT]}: {@code count} connections of {@code
   * kind} (for bad-requests: loops of connections), each expected to be refused or disconnected
   * within {@code timeoutSeconds} of being opened. {@code silent=max} asks for as many silent
   * sockets as the open-file limit leaves.
   */
  record Spec(Kind kind, int count, double timeoutSeconds) {
    static Spec parse(String s) {
      int eq = s.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "attack '" + s + "' must be KIND=COUNT[:TIMEOUT], e.g. slowloris=200:15s");
      }
      Kind kind = Kind.parse(s.substring(0, eq));
      String rest = s.substring(eq + 1);
      int colon = rest.indexOf(':');
      String n = colon < 0 ? rest.trim() : rest.substring(0, colon).trim();
      int count;
      if (n.equals("max") && kind == Kind.SILENT) {
        count = Runner.MAX_CONNECTIONS; // capped later to what the open-file limit leaves
      } else {
        try {
          count = Integer.parseInt(n);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "attack '" + s + "': the count is not a number (silent also takes max)");
        }
      }
      if (count < 0 || count > Runner.MAX_CONNECTIONS) {
        throw new IllegalArgumentException(
            "attack '" + s + "': the count must be 0 to " + Runner.MAX_CONNECTIONS);
      }
      double timeout =
          colon < 0 ? kind.defaultTimeoutSeconds : BenchMain.seconds(rest.substring(colon + 1));
      if (timeout <= 0) {
        throw new IllegalArgumentException("attack '" + s + "': the timeout must be positive");
      }
      return new Spec(kind, count, timeout);
    }

    Spec withCount(int n) {
      return new Spec(kind, n, timeoutSeconds);
    }
  }

  /**
   * How the attackers behave.
   *
   * @param slowlorisIntervalSeconds seconds between two bytes of a slowloris head
   * @param bodyIntervalSeconds seconds between two bytes of a slow body
   * @param wsFloodRate WebSocket commands per second per ws-flood attacker (0: as many as the
   *     socket takes, checked every millisecond)
   * @param wsFloodCommand {@code ping} or {@code publish}
   * @param floodRate publications per second per channel-flood connection (0: the next as soon as
   *     the previous is answered)
   */
  record Settings(
      int connectConcurrency,
      double slowlorisIntervalSeconds,
      double bodyIntervalSeconds,
      int wsFloodRate,
      String wsFloodCommand,
      double floodRate) {}

  /** What one kind of attacker got, as written to JSON and the report. Times in ms. */
  record Result(
      String kind,
      String description,
      int count,
      double timeoutSeconds,
      long connections,
      long refused,
      long disconnected,
      long accepted,
      long stillOpen,
      long endedWithinTimeout,
      double endP50Ms,
      double endP90Ms,
      double endP99Ms,
      double endMaxMs,
      long sent,
      Map<String, Long> outcomes,
      boolean pass) {}

  /** Accounting of one kind. Counters are written on the loop and read anywhere. */
  static final class Attack {
    final Spec spec;
    final LongAdder connections = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder disconnected = new LongAdder();
    final LongAdder accepted = new LongAdder();
    final LongAdder sent = new LongAdder();
    final Recorder endMicros = new Recorder(TimeUnit.HOURS.toMicros(1), 3);
    final Histogram ends = new Histogram(TimeUnit.HOURS.toMicros(1), 3);
    final Set<Conn> open = ConcurrentHashMap.newKeySet();
    final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    long stillOpen;

    Attack(Spec spec) {
      this.spec = spec;
    }

    void outcome(String key) {
      outcomes.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    long ended() {
      return refused.sum() + disconnected.sum() + accepted.sum();
    }
  }

  /** One attacker connection. Confined to the loop once opened. */
  final class Conn {
    final Attack attack;
    final int index;
    final long startNanos = System.nanoTime();
    Channel ch;
    boolean ended;
    int variant;

    Conn(Attack attack, int index) {
      this.attack = attack;
      this.index = index;
    }

    /** Ends this connection's account (first call only). */
    void end(String outcome, char how) {
      if (ended) {
        return;
      }
      ended = true;
      attack.open.remove(this);
      attack.endMicros.recordValue(
          Math.min((System.nanoTime() - startNanos) / 1000, TimeUnit.HOURS.toMicros(1)));
      switch (how) {
        case 'r':
          attack.refused.increment();
          break;
        case 'a':
          attack.accepted.increment();
          break;
        default:
          attack.disconnected.increment();
      }
      attack.outcome(
          attack.spec.kind() == Kind.BAD_REQUESTS
              ? BAD_VARIANTS[variant][0] + ": " + outcome
              : outcome);
    }
  }

  private final Target target;
  private final Settings settings;
  private final String channelBase;
  private final List<Attack> attacks = new ArrayList<>();
  private final InetSocketAddress remote;
  private final EventLoopGroup group;
  private final Class<? extends Channel> channelClass;
  private final LongAdder pending = new LongAdder();
  private volatile boolean stopping;
  private boolean stopped;
  private Thread launcher;
  private long startNanos;

  /**
   * @param target the server; its host must be a loopback address (127.0.0.0/8)
   * @param specs the attacks; kinds may not repeat
   * @param channelBase a fresh prefix for every channel name the attackers use
   * @throws IllegalArgumentException when the target is not on loopback or a kind repeats
   */
  Attackers(Target target, List<Spec> specs, Settings settings, String channelBase) {
    this.target = target;
    this.settings = settings;
    this.channelBase = channelBase;
    this.remote = checkLoopback(target);
    Set<Kind> seen = new java.util.HashSet<>();
    for (Spec s : specs) {
      if (!seen.add(s.kind())) {
        throw new IllegalArgumentException("attacker kind " + s.kind().wireName + " given twice");
      }
      if (s.count() > 0) {
        attacks.add(new Attack(s));
      }
    }
    boolean epoll = Epoll.isAvailable();
    this.group = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
    this.channelClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /**
   * The target's address, when it is on loopback.
   *
   * @throws IllegalArgumentException when it is not in 127.0.0.0/8
   */
  static InetSocketAddress checkLoopback(Target target) {
    URI u = target.subscribeUri("c");
    InetSocketAddress a = new InetSocketAddress(u.getHost(), Clients.port(u));
    if (a.getAddress() == null
        || !a.getAddress().isLoopbackAddress()
        || a.getAddress().getAddress().length != 4) {
      throw new IllegalArgumentException(
          "the hostile scenario attacks loopback servers only (127.0.0.0/8), not " + u.getHost());
    }
    return a;
  }

  /** Connections (or bad-request loops) that {@code specs} open at once, at most. */
  static int connections(List<Spec> specs) {
    int n = 0;
    for (Spec s : specs) {
      n += s.count();
    }
    return n;
  }

  @Override
  public void start() {
    startNanos = System.nanoTime();
    launcher =
        new Thread(
            () -> {
              try {
                launchAll();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "herald-bench-attack-launcher");
    launcher.setDaemon(true);
    launcher.start();
  }

  /** Opens every connection, the smallest attacks first so that a large one does not delay them. */
  private void launchAll() throws InterruptedException {
    List<Attack> order = new ArrayList<>(attacks);
    order.sort(java.util.Comparator.comparingInt(a -> a.spec.count()));
    for (Attack a : order) {
      for (int i = 0; i < a.spec.count() && !stopping; i++) {
        while (pending.sum() >= settings.connectConcurrency() && !stopping) {
          Thread.sleep(1);
        }
        if (stopping) {
          return;
        }
        open(a, i, i);
      }
    }
  }

  /** Opens one connection of {@code a}; any thread. */
  private void open(Attack a, int index, int variant) {
    Conn c = new Conn(a, index);
    c.variant = variant % BAD_VARIANTS.length;
    a.connections.increment();
    a.open.add(c);
    pending.increment();
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channel(channelClass)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    c.ch = ch;
                    switch (a.spec.kind()) {
                      case CHANNEL_FLOOD:
                        ch.pipeline()
                            .addLast(
                                new HttpClientCodec(),
                                new HttpObjectAggregator(1 << 16),
                                new FloodHandler(c));
                        break;
                      case WS_FLOOD:
                        ch.pipeline().addLast(new WsFloodHandler(c));
                        break;
                      default:
                        ch.pipeline().addLast(new RawHandler(c));
                    }
                  }
                });
    if (a.spec.kind() == Kind.WS_FLOOD) {
      b.option(ChannelOption.SO_RCVBUF, 4096);
    }
    ChannelFuture f = b.connect(remote, new InetSocketAddress("127.0.0." + (101 + index % 100), 0));
    f.addListener(
        done -> {
          pending.decrement();
          if (!done.isSuccess()) {
            f.channel().eventLoop().execute(() -> c.end("connect failed", 'r'));
          }
        });
  }

  @Override
  public String progress() {
    long open = 0;
    long ended = 0;
    for (Attack a : attacks) {
      open += a.open.size();
      ended += a.ended();
    }
    return String.format(Locale.ROOT, "attackers open %,d ended %,d", open, ended);
  }

  /** Stops the attack: counts what is still open, closes everything. Idempotent. */
  @Override
  public synchronized void stop() throws InterruptedException {
    if (stopped) {
      return;
    }
    stopped = true;
    stopping = true;
    if (launcher != null) {
      launcher.join(5_000);
    }
    // Count and close on the loop, so no connection ends between counting and closing.
    try {
      group
          .next()
          .submit(
              () -> {
                for (Attack a : attacks) {
                  a.stillOpen = a.open.size();
                  for (Conn c : a.open) {
                    c.ended = true;
                    if (c.ch != null) {
                      c.ch.close();
                    }
                  }
                  a.open.clear();
                }
              })
          .get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the attackers' loop did not answer", e);
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
  }

  /** The accounts of every kind; after {@link #stop}. */
  List<Result> results() {
    List<Result> out = new ArrayList<>();
    for (Attack a : attacks) {
      a.ends.add(a.endMicros.getIntervalHistogram());
      Histogram h = a.ends;
      long timeoutMicros = (long) (a.spec.timeoutSeconds() * 1e6);
      long within = h.getTotalCount() == 0 ? 0 : h.getCountBetweenValues(0, timeoutMicros);
      Map<String, Long> outcomes = new TreeMap<>();
      a.outcomes.forEach((k, v) -> outcomes.put(k, v.sum()));
      if (a.stillOpen > 0) {
        outcomes.put("still open at the end", a.stillOpen);
      }
      long connections = a.connections.sum();
      boolean pass = a.stillOpen == 0 && a.accepted.sum() == 0 && within == connections;
      out.add(
          new Result(
              a.spec.kind().wireName,
              a.spec.kind().description,
              a.spec.count(),
              a.spec.timeoutSeconds(),
              connections,
              a.refused.sum(),
              a.disconnected.sum(),
              a.accepted.sum(),
              a.stillOpen,
              within,
              ms(h, 50),
              ms(h, 90),
              ms(h, 99),
              h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0,
              a.sent.sum(),
              outcomes,
              pass));
    }
    return out;
  }

  private static double ms(Histogram h, double p) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p) / 1000.0;
  }

  private String hostHeader() {
    return remote.getHostString() + ":" + remote.getPort();
  }

  private String path(String channel) {
    return target.publishUri(channel).getRawPath();
  }

  private static String wsHandshake(String host) {
    return "GET /ws HTTP/1.1\r\nHost: "
        + host
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  }

  /** A masked client text frame (mask key 0, so the payload is sent as is). */
  static ByteBuf maskedText(ByteBuf out, String json) {
    byte[] p = json.getBytes(StandardCharsets.UTF_8);
    out.writeByte(0x81);
    if (p.length < 126) {
      out.writeByte(0x80 | p.length);
    } else {
      out.writeByte(0x80 | 126);
      out.writeShort(p.length);
    }
    out.writeInt(0);
    out.writeBytes(p);
    return out;
  }

  /**
   * The bad-request variants: name, then what is sent first; a second part, when present, is sent
   * after the server answered {@code 101} (a WebSocket frame, as raw bytes in ISO-8859-1).
   */
  static final String[][] BAD_VARIANTS = {
    {"garbage", "\u0016\u0003\u0001\u0000\u00a5\u0001 not http at all\r\n\r\n"},
    {"bad %-escape", "GET /channels/%zz%G1 HTTP/1.1\r\nHost: {host}\r\n\r\n"},
    {
      "bad upgrade",
      "GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    },
    {
      "bad content-length",
      "POST /channels/{bad} HTTP/1.1\r\nHost: {host}\r\nContent-Length: abc\r\n\r\n"
    },
    {"header too large", "GET /health HTTP/1.1\r\nHost: {host}\r\nX-Big: {big}\r\n\r\n"},
    {"ws reserved opcode", "{ws}", "\u00f3\u0080\u0000\u0000\u0000\u0000"},
    {"ws unmasked frame", "{ws}", "\u0081\u0002{}"},
    {"ws bad json", "{ws}", "{json:{\"type\":}"},
    {"ws unknown command", "{ws}", "{json:{\"type\":\"launch\",\"id\":1}}"},
  };

  private ByteBuf badFirst(int v) {
    String s = BAD_VARIANTS[v][1];
    if (s.equals("{ws}")) {
      s = wsHandshake(hostHeader());
    }
    s =
        s.replace("{host}", hostHeader())
            .replace("{bad}", channelBase + "-bad")
            .replace("{big}", "a".repeat(20_000));
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  private static ByteBuf badSecond(int v) {
    String s = BAD_VARIANTS[v][2];
    if (s.startsWith("{json:")) {
      return maskedText(Unpooled.buffer(), s.substring(6, s.length() - 1));
    }
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  /**
   * Slowloris, slow body, silent and bad requests over raw bytes: reads the server's answer (an
   * HTTP status line; after a {@code 101}, WebSocket frames) and ends the connection's account on
   * the first answer or on close.
   */
  final class RawHandler extends ChannelInboundHandlerAdapter {
    private final Conn c;
    private final ByteBuf in = Unpooled.buffer(256);
    private boolean upgraded;
    private ScheduledFuture<?> trickle;
    private long trickled;

    RawHandler(Conn c) {
      this.c = c;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Kind k = c.attack.spec.kind();
      if (k == Kind.SLOWLORIS) {
        long every = (long) (settings.slowlorisIntervalSeconds() * 1000);
        trickle =
            ctx.executor()
                .scheduleAtFixedRate(
                    () -> write(ctx, slowlorisByte(trickled++)), 0, every, TimeUnit.MILLISECONDS);
      } else if (k == Kind.SLOW_BODY) {
        String head =
            "POST "
                + path(channelBase + "-slow-body")
                + " HTTP/1.1\r\nHost: "
                + hostHeader()
                + "\r\nContent-Type: text/plain\r\nContent-Length: 65536\r\n\r\n";
        write(ctx, Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
        long every = (long) (settings.bodyIntervalSeconds() * 1000);
        trickle =
            ctx.executor()
                .scheduleAtFixedRate(
                    () -> write(ctx, Unpooled.wrappedBuffer(new byte[] {'x'})),
                    every,
                    every,
                    TimeUnit.MILLISECONDS);
      } else if (k == Kind.BAD_REQUESTS) {
        write(ctx, badFirst(c.variant));
      }
      ctx.fireChannelActive();
    }

    private void write(ChannelHandlerContext ctx, ByteBuf b) {
      c.attack.sent.add(b.readableBytes());
      ctx.writeAndFlush(b);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      try {
        if (c.ended) {
          return;
        }
        in.writeBytes(b, Math.min(b.readableBytes(), 4096));
        if (!upgraded) {
          int eol = indexOf(in, "\r\n");
          if (eol < 0) {
            if (in.readableBytes() >= 4096) {
              c.end("not HTTP", 'r');
              ctx.close();
            }
            return;
          }
          String line = in.toString(in.readerIndex(), eol, StandardCharsets.ISO_8859_1);
          int code = statusCode(line);
          if (code == 101
              && c.attack.spec.kind() == Kind.BAD_REQUESTS
              && BAD_VARIANTS[c.variant].length > 2) {
            int headEnd = indexOf(in, "\r\n\r\n");
            if (headEnd < 0) {
              return;
            }
            upgraded = true;
            in.readerIndex(in.readerIndex() + headEnd + 4);
            write(ctx, badSecond(c.variant));
            frames(ctx);
            return;
          }
          c.end(code < 0 ? "not HTTP" : "HTTP " + code, code >= 400 || code < 0 ? 'r' : 'a');
          ctx.close();
        } else {
          frames(ctx);
        }
      } finally {
        b.release();
        in.discardReadBytes();
        if (in.writerIndex() > 8192) {
          in.clear();
        }
      }
    }

    /** Reads whole server frames: a close or an error frame ends the account. */
    private void frames(ChannelHandlerContext ctx) {
      while (in.readableBytes() >= 2) {
        int i = in.readerIndex();
        int op = in.getByte(i) & 0x0f;
        int len = in.getByte(i + 1) & 0x7f;
        int head = 2;
        if (len == 126) {
          if (in.readableBytes() < 4) {
            return;
          }
          len = in.getUnsignedShort(i + 2);
          head = 4;
        } else if (len == 127) {
          c.end("WebSocket frame too large", 'r');
          ctx.close();
          return;
        }
        if (in.readableBytes() < head + len) {
          return;
        }
        String payload = in.toString(i + head, len, StandardCharsets.UTF_8);
        in.readerIndex(i + head + len);
        if (op == 0x8) {
          int code = len >= 2 ? in.getUnsignedShort(i + head) : 1005;
          c.end("WebSocket close " + code, 'r');
          ctx.close();
          return;
        }
        if (op == 0x1 && payload.contains("\"type\":\"error\"")) {
          int k = payload.indexOf("\"code\":\"");
          String code =
              k < 0 ? "?" : payload.substring(k + 8, Math.max(k + 8, payload.indexOf('"', k + 8)));
          c.end("error frame " + code, 'r');
          ctx.close();
          return;
        }
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (trickle != null) {
        trickle.cancel(false);
      }
      if (!c.ended) {
        c.end("closed without an answer", 'd');
      }
      next(c);
      ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      in.release();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!c.ended && cause instanceof IOException) {
        c.end("reset", 'd');
      }
      ctx.close();
    }
  }

  /** After a bad-requests connection ended: the loop opens the next one, 100 ms later. */
  private void next(Conn c) {
    if (c.attack.spec.kind() == Kind.BAD_REQUESTS && !stopping) {
      group
          .next()
          .schedule(
              () -> {
                if (!stopping) {
                  open(c.attack, c.index, c.variant + 1);
                }
              },
              100,
              TimeUnit.MILLISECONDS);
    }
  }

  private static final byte[] SLOWLORIS_HEAD =
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] SLOWLORIS_LINE =
      "X-Slow: a\r\n".getBytes(StandardCharsets.ISO_8859_1);

  /** Byte {@code n} of an endless request head: a request line, then {@code X-Slow} lines. */
  static ByteBuf slowlorisByte(long n) {
    byte b =
        n < SLOWLORIS_HEAD.length
            ? SLOWLORIS_HEAD[(int) n]
            : SLOWLORIS_LINE[(int) ((n - SLOWLORIS_HEAD.length) % SLOWLORIS_LINE.length)];
    return Unpooled.wrappedBuffer(new byte[] {b});
  }

  static int statusCode(String line) {
    if (!line.startsWith("HTTP/1.") || line.length() < 12) {
      return -1;
    }
    try {
      return Integer.parseInt(line.substring(9, 12));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static int indexOf(ByteBuf b, String s) {
    byte[] p = s.getBytes(StandardCharsets.ISO_8859_1);
    int at = Scan.indexOf(b, b.readerIndex(), b.writerIndex(), p);
    return at < 0 ? -1 : at - b.readerIndex();
  }

  /**
   * A WebSocket client that sends commands and never reads: after the {@code 101} it turns reading
   * off and writes, every millisecond, its quota of command frames for as long as the socket takes
   * them. A close by the server shows as a failed write.
   */
  final class WsFloodHandler extends ChannelInboundHandlerAdapter {
    private final Conn c;
    private final ByteBuf in = Unpooled.buffer(256);
    private ByteBuf frame;
    private ScheduledFuture<?> pump;
    private double quota;

    WsFloodHandler(Conn c) {
      this.c = c;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.writeAndFlush(Unpooled.copiedBuffer(wsHandshake(hostHeader()), StandardCharsets.UTF_8));
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      try {
        if (pump != null || c.ended) {
          return;
        }
        in.writeBytes(b, Math.min(b.readableBytes(), 4096));
        int eol = indexOf(in, "\r\n");
        if (eol < 0) {
          return;
        }
        int code = statusCode(in.toString(in.readerIndex(), eol, StandardCharsets.ISO_8859_1));
        if (code != 101) {
          c.end(code < 0 ? "not HTTP" : "HTTP " + code, 'r');
          ctx.close();
          return;
        }
        // Upgraded: never read again.
        ctx.channel().config().setAutoRead(false);
        String cmd =
            "publish".equals(settings.wsFloodCommand())
                ? "{\"type\":\"publish\",\"id\":1,\"channel\":\""
                    + channelBase
                    + "-ws-flood\",\"data\":1}"
                : "{\"type\":\"ping\",\"id\":1}";
        frame = maskedText(Unpooled.directBuffer(64), cmd);
        pump = ctx.executor().scheduleAtFixedRate(() -> pump(ctx), 0, 1, TimeUnit.MILLISECONDS);
      } finally {
        b.release();
      }
    }

    private void pump(ChannelHandlerContext ctx) {
      Channel ch = ctx.channel();
      if (!ch.isActive()) {
        return;
      }
      int rate = settings.wsFloodRate();
      if (rate > 0) {
        quota = Math.min(quota + rate / 1000.0, rate);
      }
      int n = 0;
      while (ch.isWritable() && (rate <= 0 ? n < 4096 : quota >= 1)) {
        ctx.write(frame.retainedDuplicate(), ctx.voidPromise());
        quota--;
        n++;
      }
      if (n > 0) {
        c.attack.sent.add(n);
        ctx.flush();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (pump != null) {
        pump.cancel(false);
      }
      if (!c.ended) {
        c.end("closed by the server", 'd');
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      in.release();
      if (frame != null) {
        frame.release();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!c.ended && cause instanceof IOException) {
        c.end("reset", 'd');
      }
      ctx.close();
    }
  }

  /**
   * A keep-alive connection that publishes one small message to a new channel each time: the next
   * request when the answer comes (or at {@code floodRate}). The first refusal ends the account;
   * the flood goes on until the server closes the connection or the attack stops.
   */
  final class FloodHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final Conn c;
    private long n;
    private long sentAt;

    FloodHandler(Conn c) {
      this.c = c;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      send(ctx);
      ctx.fireChannelActive();
    }

    private void send(ChannelHandlerContext ctx) {
      if (!ctx.channel().isActive() || stopping) {
        return;
      }
      String ch = channelBase + "-flood-" + c.index + "-" + (n++);
      FullHttpRequest req =
          new DefaultFullHttpRequest(
              HttpVersion.HTTP_1_1,
              HttpMethod.POST,
              path(ch),
              Unpooled.wrappedBuffer(new byte[] {'x'}));
      req.headers().set(HttpHeaderNames.HOST, hostHeader());
      req.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
      req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 1);
      c.attack.sent.increment();
      sentAt = System.nanoTime();
      ctx.writeAndFlush(req);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
      int code = r.status().code();
      if (code >= 400) {
        if (!c.ended) {
          c.end("HTTP " + code, 'r');
        } else {
          c.attack.outcome("later answers: HTTP " + code);
        }
      }
      double rate = settings.floodRate();
      if (rate > 0) {
        long wait = (long) (1e9 / rate) - (System.nanoTime() - sentAt);
        ctx.executor().schedule(() -> send(ctx), Math.max(0, wait), TimeUnit.NANOSECONDS);
      } else {
        send(ctx);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!c.ended) {
        c.end("closed by the server", 'd');
      } else if (!stopping) {
        c.attack.outcome("closed by the server after a refusal");
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!c.ended && cause instanceof IOException) {
        c.end("reset", 'd');
      }
      ctx.close();
    }
  }
}
