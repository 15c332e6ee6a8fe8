package io.herald.server.h2;

import static io.herald.server.TestClients.channel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS with ALPN and HTTP/2 (PROTOCOL.md section 13) over real sockets, with real clients: the JDK's
 * {@code HttpClient} over HTTPS (h2 by ALPN), Netty's HTTP/2 client over h2c with prior knowledge,
 * and a plain {@code SSLSocket} that offers only {@code http/1.1}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class Http2IT {
  @TempDir static Path dir;
  static Path cert;
  static Path key;

  @BeforeAll
  static void certificate() throws Exception {
    cert = dir.resolve("cert.pem");
    key = dir.resolve("key.pem");
    TestCertificates.generate(cert, key, "herald-test-a");
  }

  private static ServerConfig.Builder tls() {
    return ServerConfig.builder().port(0).tlsCertFile(cert).tlsKeyFile(key);
  }

  private static HttpClient h2(Path trusted) throws Exception {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_2)
        .sslContext(TestCertificates.trusting(trusted))
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  private static HttpResponse<String> send(HttpClient client, HttpRequest.Builder b)
      throws Exception {
    return client.send(
        b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> publish(
      HttpClient client, String base, String ch, String json) throws Exception {
    return send(
        client,
        HttpRequest.newBuilder(URI.create(base + "/channels/" + ch))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  /** SSE lines read by the JDK client on a thread of its own. */
  private static BlockingQueue<String> sseLines(HttpClient client, String url) throws Exception {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    HttpResponse<Stream<String>> r =
        client
            .sendAsync(
                HttpRequest.newBuilder(URI.create(url))
                    .header("Accept", "text/event-stream")
                    .build(),
                HttpResponse.BodyHandlers.ofLines())
            .get(20, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(r.headers().firstValue("content-type")).hasValue("text/event-stream");
    Thread t = new Thread(() -> r.body().forEach(lines::add), "sse-lines");
    t.setDaemon(true);
    t.start();
    return lines;
  }

  private static String lineWith(BlockingQueue<String> lines, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(1, TimeUnit.SECONDS);
      if (line != null && line.contains(text)) {
        return line;
      }
    }
    throw new AssertionError("no line with " + text);
  }

  @Test
  void httpsServesSsePollsAndPublishingOverHttp2ChosenByAlpn() throws Exception {
    try (HeraldServer server = HeraldServer.start(tls().build())) {
      assertThat(server.baseUrl()).startsWith("https://");
      HttpClient client = h2(cert);
      String base = server.baseUrl();
      String ch = channel("h2tls");

      HttpResponse<String> health =
          send(client, HttpRequest.newBuilder(URI.create(base + "/health")));
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.version()).isEqualTo(HttpClient.Version.HTTP_2);

      BlockingQueue<String> sse = sseLines(client, base + "/channels/" + ch);
      lineWith(sse, "herald.subscribed");

      CompletableFuture<HttpResponse<String>> longPoll =
          client.sendAsync(
              HttpRequest.newBuilder(
                      URI.create(base + "/channels/" + ch + "?since=" + "0" + "&wait=20"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      await().atMost(Duration.ofSeconds(20)).until(() -> server.hub().subscriberCount() >= 2);

      HttpResponse<String> published = publish(client, base, ch, "{\"n\":1}");
      assertThat(published.statusCode()).as(published.body()).isEqualTo(201);
      assertThat(published.version()).isEqualTo(HttpClient.Version.HTTP_2);

      lineWith(sse, "\"n\":1");
      HttpResponse<String> parked = longPoll.get(20, TimeUnit.SECONDS);
      assertThat(parked.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(parked.body()).contains("\"n\":1");

      HttpResponse<String> shortPoll =
          send(client, HttpRequest.newBuilder(URI.create(base + "/channels/" + ch + "?since=0")));
      assertThat(shortPoll.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(shortPoll.body()).contains("\"n\":1");

      // the demo pages and herald.js come over HTTP/2 too
      HttpResponse<String> js =
          send(client, HttpRequest.newBuilder(URI.create(base + "/herald.js")));
      assertThat(js.statusCode()).isEqualTo(200);
      assertThat(js.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }
  }

  @Test
  void alpnFallsBackToHttp11ForAClientThatOffersOnlyIt() throws Exception {
    try (HeraldServer server = HeraldServer.start(tls().build())) {
      SSLContext ctx = TestCertificates.trusting(cert);
      try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
        s.connect(server.address(), 10_000);
        s.setSoTimeout(20_000);
        SSLParameters p = s.getSSLParameters();
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        assertThat(s.getApplicationProtocol()).isEqualTo("http/1.1");
        OutputStream out = s.getOutputStream();
        out.write(
            "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
      }
      // and the JDK client asking for HTTP/1.1 gets it
      HttpClient h1 =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .sslContext(TestCertificates.trusting(cert))
              .build();
      HttpResponse<String> r =
          send(h1, HttpRequest.newBuilder(URI.create(server.baseUrl() + "/health")));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }
  }

  @Test
  void plainPortServesH2cWithPriorKnowledgeBesideHttp11() throws Exception {
    try (HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
        NettyH2Client h2c = new NettyH2Client(server.address())) {
      String ch = channel("h2c");
      NettyH2Client.Stream health = h2c.get("/health");
      assertThat(health.head().status().code()).isEqualTo(200);
      assertThat(health.body()).contains("\"status\":\"ok\"");

      NettyH2Client.Stream sse = h2c.get("/channels/" + ch, "accept", "text/event-stream");
      assertThat(sse.head().status().code()).isEqualTo(200);
      assertThat(sse.nextEvent(Duration.ofSeconds(20))).contains("herald.subscribed");
      NettyH2Client.Stream longPoll = h2c.get("/channels/" + ch + "?since=0&wait=20");
      await().atMost(Duration.ofSeconds(20)).until(() -> server.hub().subscriberCount() >= 2);

      NettyH2Client.Stream pub =
          h2c.send(
              HttpMethod.POST, "/channels/" + ch, "{\"n\":7}", "content-type", "application/json");
      assertThat(pub.head().status().code()).isEqualTo(201);
      assertThat(sse.nextEvent(Duration.ofSeconds(20))).contains("\"n\":7");
      assertThat(longPoll.body()).contains("\"n\":7");
      assertThat(h2c.get("/channels/" + ch + "?since=0").body()).contains("\"n\":7");
      // every stream ran on the one connection
      assertThat(server.connectionCount()).isEqualTo(1);

      // HTTP/1.1 on the same port
      HttpResponse<String> h1 =
          io.herald.server.TestClients.get(server.baseUrl() + "/channels/" + ch + "?since=0");
      assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
      assertThat(h1.body()).contains("\"n\":7");
    }
  }

  @Test
  void aStreamWhoseClientDoesNotReadLagsAndGetsAGapWhileTheOtherStreamsCarryOn() throws Exception {
    ServerConfig config =
        ServerConfig.builder().port(0).writeBufferHighBytes(16 * 1024).historySize(20).build();
    try (HeraldServer server = HeraldServer.start(config);
        NettyH2Client h2c = smallWindowClient(server)) {
      String ch = channel("h2slow");
      FastAndStalled streams = fastAndStalled(server, h2c, ch);
      NettyH2Client.Stream fast = streams.fast();
      NettyH2Client.Stream slow = streams.stalled();
      String pad = "x".repeat(5000);
      int count = 60;
      for (int i = 1; i <= count; i++) {
        // one at a time: the reading stream never lags, even on a loaded machine
        publishH1(server, ch, "{\"n\":" + i + ",\"pad\":\"" + pad + "\"}");
        assertThat(fast.nextEvent(Duration.ofSeconds(20)))
            .as("event %d", i)
            .contains("{\"n\":" + i + ",");
      }
      // the stalled stream reads now: it fell behind history, so it gets a gap notice (its cursor
      // moves to the head), then every later message
      slow.startReading();
      await().atMost(Duration.ofSeconds(20)).until(() -> slow.received().contains("herald.gap"));
      publishH1(server, ch, "{\"n\":\"last\"}");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> slow.received().contains("{\"n\":\"last\"}"));
      assertThat(slow.reset).isNotDone();
      assertThat(h2c.connection().isActive()).isTrue();
    }
  }

  @Test
  void aStreamPastTheByteBudgetIsResetAndTheConnectionCarriesOn() throws Exception {
    // messages larger than the budget: the first one queued on the stalled stream (its window
    // stays shut) leaves more than the budget queued, so writing the second resets the stream; the
    // reading stream takes each message before the next is published, so it never has much queued
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .writeBufferHighBytes(16 * 1024)
            .maxQueuedBytes(64 * 1024)
            .maxMessageBytes(256 * 1024)
            .historySize(100)
            .build();
    try (HeraldServer server = HeraldServer.start(config);
        NettyH2Client h2c = smallWindowClient(server)) {
      String ch = channel("h2budget");
      FastAndStalled streams = fastAndStalled(server, h2c, ch);
      NettyH2Client.Stream fast = streams.fast();
      NettyH2Client.Stream slow = streams.stalled();
      String pad = "x".repeat(70_000);
      for (int i = 1; i <= 4; i++) {
        publishH1(server, ch, "{\"n\":" + i + ",\"pad\":\"" + pad + "\"}");
        assertThat(fast.nextEvent(Duration.ofSeconds(20)))
            .as("event %d", i)
            .contains("{\"n\":" + i + ",");
      }
      slow.startReading();
      assertThat(slow.reset.get(20, TimeUnit.SECONDS)).isEqualTo(Http2Error.CANCEL.code());
      assertThat(fast.reset).isNotDone();
      assertThat(h2c.connection().isActive()).isTrue();
      assertThat(h2c.get("/health").head().status().code()).isEqualTo(200);
    }
  }

  @Test
  void settingsFrameAdvertisesTheConfiguredLimits() throws Exception {
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .h2MaxConcurrentStreams(33)
            .h2MaxHeaderListBytes(4096)
            .h2InitialWindowBytes(200_000)
            .build();
    try (HeraldServer server = HeraldServer.start(config);
        NettyH2Client h2c = new NettyH2Client(server.address())) {
      Http2Settings s = h2c.settings.poll(20, TimeUnit.SECONDS);
      assertThat(s).isNotNull();
      assertThat(s.maxConcurrentStreams()).isEqualTo(33L);
      assertThat(s.maxHeaderListSize()).isEqualTo(4096L);
      assertThat(s.initialWindowSize()).isEqualTo(200_000);
    }
  }

  @Test
  void aStreamPastTheConcurrentStreamLimitIsRefusedAndTheOthersCarryOn() throws Exception {
    ServerConfig config = ServerConfig.builder().port(0).h2MaxConcurrentStreams(3).build();
    try (HeraldServer server = HeraldServer.start(config);
        NettyH2Client h2c = new NettyH2Client(server.address())) {
      assertThat(h2c.settings.poll(20, TimeUnit.SECONDS).maxConcurrentStreams()).isEqualTo(3L);
      h2c.ignoreServerStreamLimit();
      String ch = channel("h2streams");
      java.util.List<NettyH2Client.Stream> open = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        NettyH2Client.Stream sse = h2c.get("/channels/" + ch, "accept", "text/event-stream");
        assertThat(sse.nextEvent(Duration.ofSeconds(20))).contains("herald.subscribed");
        open.add(sse);
      }
      NettyH2Client.Stream fourth = h2c.get("/health");
      assertThat(fourth.reset.get(20, TimeUnit.SECONDS))
          .isEqualTo(Http2Error.REFUSED_STREAM.code());
      // the three streams still deliver, and a stream that ends makes room for a new one
      publishH1(server, ch, "{\"n\":1}");
      for (NettyH2Client.Stream sse : open) {
        assertThat(sse.nextEvent(Duration.ofSeconds(20))).contains("{\"n\":1}");
      }
      open.get(0).channel().close().sync();
      await().atMost(Duration.ofSeconds(20)).until(() -> server.hub().subscriberCount() == 2);
      assertThat(h2c.get("/health").head().status().code()).isEqualTo(200);
    }
  }

  @Test
  void aRequestBodyThatDoesNotArriveIsAnswered408OnItsStreamAlone() throws Exception {
    ServerConfig config =
        ServerConfig.builder().port(0).requestBodyTimeout(Duration.ofMillis(500)).build();
    try (HeraldServer server = HeraldServer.start(config);
        NettyH2Client h2c = new NettyH2Client(server.address())) {
      NettyH2Client.Stream stalled =
          h2c.startRequest(HttpMethod.POST, "/channels/" + channel("h2body"), 100);
      assertThat(stalled.head().status().code()).isEqualTo(408);
      assertThat(stalled.body()).contains("request_timeout");
      assertThat(h2c.get("/health").head().status().code()).isEqualTo(200);
      assertThat(h2c.connection().isActive()).isTrue();
    }
  }

  @Test
  void anHttp2ConnectionWithNoStreamIsClosedWithGoAwayAfterTheKeepAliveTimeout() throws Exception {
    ServerConfig config =
        ServerConfig.builder().port(0).keepAliveTimeout(Duration.ofMillis(500)).build();
    try (HeraldServer server = HeraldServer.start(config);
        NettyH2Client h2c = new NettyH2Client(server.address())) {
      assertThat(h2c.get("/health").head().status().code()).isEqualTo(200);
      long[] goAway = h2c.goAways.poll(20, TimeUnit.SECONDS);
      assertThat(goAway).isNotNull();
      assertThat(goAway[0]).isEqualTo(Http2Error.NO_ERROR.code());
      assertThat(h2c.connection().closeFuture().await(20, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aSilentSocketOnTheTlsPortIsClosedAfterTheHeadTimeout() throws Exception {
    ServerConfig config = tls().requestHeadTimeout(Duration.ofMillis(500)).build();
    try (HeraldServer server = HeraldServer.start(config);
        java.net.Socket s = new java.net.Socket()) {
      s.connect(server.address(), 10_000);
      s.setSoTimeout(20_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void aHeaderListPastTheLimitIsAnswered431AndTheConnectionCarriesOn() throws Exception {
    ServerConfig config = ServerConfig.builder().port(0).h2MaxHeaderListBytes(1024).build();
    try (HeraldServer server = HeraldServer.start(config);
        NettyH2Client h2c = new NettyH2Client(server.address())) {
      assertThat(h2c.settings.poll(20, TimeUnit.SECONDS)).isNotNull();
      // 950 bytes of value, plus the pseudo-headers and 32 bytes per field (RFC 9113 6.5.2)
      NettyH2Client.Stream big = h2c.get("/health", "x-big", "b".repeat(950));
      assertThat(big.head().status().code()).isEqualTo(431);
      assertThat(h2c.get("/health", "x-small", "s".repeat(500)).head().status().code())
          .isEqualTo(200);
    }
    // far past it (more than a quarter over, Netty's rule) the connection ends with GOAWAY
    try (HeraldServer server = HeraldServer.start(config);
        NettyH2Client h2c = new NettyH2Client(server.address())) {
      assertThat(h2c.settings.poll(20, TimeUnit.SECONDS)).isNotNull();
      h2c.get("/health", "x-big", "b".repeat(4000));
      assertThat(h2c.goAways.poll(20, TimeUnit.SECONDS)).isNotNull();
    }
  }

  @Test
  void shutdownSendsGoAwayAndEndsSseStreamsCleanly() throws Exception {
    HeraldServer server = HeraldServer.start(ServerConfig.builder().port(0).build());
    try (NettyH2Client h2c = new NettyH2Client(server.address())) {
      String ch = channel("h2down");
      NettyH2Client.Stream sse = h2c.get("/channels/" + ch, "accept", "text/event-stream");
      assertThat(sse.nextEvent(Duration.ofSeconds(20))).contains("herald.subscribed");
      server.close();
      long[] goAway = h2c.goAways.poll(20, TimeUnit.SECONDS);
      assertThat(goAway).as("GOAWAY").isNotNull();
      assertThat(goAway[0]).isEqualTo(Http2Error.NO_ERROR.code());
      assertThat(sse.body.get(20, TimeUnit.SECONDS)).contains("herald.subscribed");
      assertThat(sse.reset).isNotDone();
      h2c.connection().closeFuture().await(20, TimeUnit.SECONDS);
      assertThat(h2c.connection().isActive()).isFalse();
    } finally {
      server.close();
    }
  }

  @Test
  void aCertificateReplacedOnDiskIsServedToNewConnections() throws Exception {
    Path myCert = dir.resolve("reload-cert.pem");
    Path myKey = dir.resolve("reload-key.pem");
    TestCertificates.generate(myCert, myKey, "herald-before");
    Path nextCert = dir.resolve("next-cert.pem");
    Path nextKey = dir.resolve("next-key.pem");
    TestCertificates.generate(nextCert, nextKey, "herald-after");
    try (HeraldServer server =
        HeraldServer.start(
            ServerConfig.builder().port(0).tlsCertFile(myCert).tlsKeyFile(myKey).build())) {
      assertThat(peerName(server)).contains("herald-before");
      HttpClient before = h2(myCert);
      assertThat(
              send(before, HttpRequest.newBuilder(URI.create(server.baseUrl() + "/health")))
                  .statusCode())
          .isEqualTo(200);
      // a renewal as certbot or cert-manager does it: new files moved into place
      Files.copy(nextKey, dir.resolve("tmp-key"), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(nextCert, dir.resolve("tmp-cert"), StandardCopyOption.REPLACE_EXISTING);
      Files.move(
          dir.resolve("tmp-key"),
          myKey,
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      Files.move(
          dir.resolve("tmp-cert"),
          myCert,
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      await().atMost(Duration.ofSeconds(30)).until(() -> peerName(server).contains("herald-after"));
      // a client that trusts only the new certificate now gets through
      HttpResponse<String> r =
          send(h2(nextCert), HttpRequest.newBuilder(URI.create(server.baseUrl() + "/health")));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }
  }

  @Test
  void aKeyThatDoesNotMatchTheCertificateIsRefusedAtStart() throws Exception {
    Path otherCert = dir.resolve("other-cert.pem");
    Path otherKey = dir.resolve("other-key.pem");
    TestCertificates.generate(otherCert, otherKey, "herald-other");
    ServerConfig config =
        ServerConfig.builder().port(0).tlsCertFile(cert).tlsKeyFile(otherKey).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> HeraldServer.start(config))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--tls-key-file")
        .hasMessageContaining("not the key of the certificate");
  }

  /** The subject of the certificate a new TLS connection is served. */
  /** Publishes {@code body} over HTTP/1.1 to the plain-text port of {@code server}. */
  private static void publishH1(HeraldServer server, String ch, String body) {
    io.herald.server.TestClients.publish(
        "http://" + server.address().getHostString() + ":" + server.port(), ch, body);
  }

  /**
   * An h2c client whose streams' windows are 16 KiB (its connection window is large), so that a
   * stream it does not read stalls after a few messages while the others flow.
   */
  private static NettyH2Client smallWindowClient(HeraldServer server) throws Exception {
    return new NettyH2Client(
        server.address(), Http2Settings.defaultSettings().initialWindowSize(16 * 1024), 1 << 26);
  }

  /** Two SSE streams on one connection: one read as it comes, one not read until it is told. */
  private record FastAndStalled(NettyH2Client.Stream fast, NettyH2Client.Stream stalled) {}

  /** Opens both streams on {@code ch} and waits until both are subscribed. */
  private static FastAndStalled fastAndStalled(HeraldServer server, NettyH2Client h2c, String ch)
      throws Exception {
    NettyH2Client.Stream fast = h2c.get("/channels/" + ch, "accept", "text/event-stream");
    NettyH2Client.Stream stalled =
        h2c.send(false, HttpMethod.GET, "/channels/" + ch, null, "accept", "text/event-stream");
    assertThat(fast.nextEvent(Duration.ofSeconds(20))).contains("herald.subscribed");
    await().atMost(Duration.ofSeconds(20)).until(() -> server.hub().subscriberCount() == 2);
    return new FastAndStalled(fast, stalled);
  }

  private static String peerName(HeraldServer server) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new TrustAll()}, null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
      s.connect(server.address(), 10_000);
      s.setSoTimeout(10_000);
      s.startHandshake();
      return ((X509Certificate) s.getSession().getPeerCertificates()[0])
          .getSubjectX500Principal()
          .getName();
    }
  }

  /** Accepts any certificate: only to read which one the server sends. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
