package io.herald.server;

import static io.herald.server.TestClients.channel;
import static io.herald.server.TestClients.get;
import static io.herald.server.TestClients.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's HTTP conveniences over real sockets: {@code HEAD} wherever {@code GET} works (no body,
 * the connection stays usable), CORS preflight and exposed headers, static files with validators,
 * {@code 304} and gzip, and a clear {@code 400} for a WebSocket handshake whose {@code Upgrade} a
 * proxy removed (with Debian's nginx configured without WebSocket support).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(LeakDetection.class)
class HttpConveniencesIT {
  @TempDir static Path dir;
  private static HeraldServer server;
  private static String base;

  @BeforeAll
  static void start() {
    server = HeraldServer.start(ServerConfig.builder().port(0).build());
    base = server.baseUrl();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** One answer read off a raw socket: status, headers (lower-case names) and body. */
  record Answer(int status, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** Sends {@code request} on {@code s} and reads one answer; no body for a {@code HEAD}. */
  static Answer exchange(Socket s, String request) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.write(b);
      matched =
          (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : 0;
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.merge(
            lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).strip(),
            (a, b) -> a + ", " + b);
      }
    }
    byte[] body = new byte[0];
    if (!request.startsWith("HEAD ") && status != 304 && status != 204) {
      body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
    }
    return new Answer(status, headers, body);
  }

  private static Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
    s.setSoTimeout(20_000);
    return s;
  }

  @Test
  void headIsAnsweredWhereGetWorksWithoutBodyAndTheConnectionStaysUsable() throws IOException {
    String ch = channel("head");
    publish(base, ch, "\"x\"");
    try (Socket s = connect()) {
      String path = "/channels/" + ch + "?since=0";
      Answer get = exchange(s, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
      Answer head = exchange(s, "HEAD " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.headers().get("content-length")).isEqualTo(String.valueOf(get.body().length));
      assertThat(head.headers().get("etag")).isEqualTo(get.headers().get("etag"));
      // SSE: the head of the stream, no stream
      Answer sse =
          exchange(
              s,
              "HEAD /channels/" + ch + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
      assertThat(sse.status()).isEqualTo(200);
      assertThat(sse.headers().get("content-type")).isEqualTo("text/event-stream");
      assertThat(exchange(s, "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
      assertThat(exchange(s, "HEAD /herald.js HTTP/1.1\r\nHost: x\r\n\r\n").status())
          .isEqualTo(200);
      // a 400 of /ws without upgrade, like GET, then the same connection still answers
      assertThat(exchange(s, "HEAD /ws HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(400);
    }
    try (Socket s = connect()) {
      Answer last = exchange(s, "GET /channels/" + ch + "?since=0 HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(last.status()).isEqualTo(200);
      assertThat(last.text()).contains("\"x\"");
    }
  }

  @Test
  void corsPreflightListsTheHeadersHeraldReadsAndAnswersExposeTheOnesClientsNeed() {
    String ch = channel("cors");
    HttpResponse<String> pre =
        TestClients.send(
            HttpRequest.newBuilder(URI.create(base + "/channels/" + ch))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", base)
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "if-none-match, authorization")
                .build());
    assertThat(pre.statusCode()).isEqualTo(204);
    assertThat(pre.headers().firstValue("Access-Control-Allow-Headers").orElseThrow())
        .contains(
            "Authorization",
            "Content-Type",
            "Idempotency-Key",
            "Last-Event-ID",
            "X-Api-Key",
            "If-None-Match",
            "Prefer");
    assertThat(pre.headers().firstValue("Access-Control-Allow-Methods").orElseThrow())
        .contains("GET", "HEAD", "POST", "OPTIONS");
    HttpResponse<String> poll = get(base + "/channels/" + ch, "Origin", base);
    assertThat(poll.headers().firstValue("Access-Control-Expose-Headers").orElseThrow())
        .contains("ETag", "Retry-After", "WWW-Authenticate", "Preference-Applied");
  }

  @Test
  void staticFilesHaveValidatorsAnswer304AndGzipWhenAccepted() throws IOException {
    byte[] plain;
    String etag;
    String lastModified;
    try (Socket s = connect()) {
      Answer identity = exchange(s, "GET /herald.js HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(identity.status()).isEqualTo(200);
      assertThat(identity.headers()).doesNotContainKey("content-encoding");
      plain = identity.body();
      etag = identity.headers().get("etag");
      lastModified = identity.headers().get("last-modified");
      assertThat(etag).matches("\"[A-Za-z0-9_-]{22}\"");
      assertThat(lastModified).endsWith(" GMT");
      assertThat(identity.headers().get("vary")).contains("Accept-Encoding");

      Answer gz =
          exchange(
              s, "GET /herald.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br, gzip;q=0.8\r\n\r\n");
      assertThat(gz.headers().get("content-encoding")).isEqualTo("gzip");
      assertThat(gz.body().length).isLessThan(plain.length / 2);
      assertThat(new GZIPInputStream(new java.io.ByteArrayInputStream(gz.body())).readAllBytes())
          .isEqualTo(plain);
      assertThat(gz.headers().get("etag")).isNotEqualTo(etag);
      // gzip refused: identity
      Answer refused =
          exchange(
              s, "GET /herald.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0, br\r\n\r\n");
      assertThat(refused.headers()).doesNotContainKey("content-encoding");

      Answer byTag =
          exchange(s, "GET /herald.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag + "\r\n\r\n");
      assertThat(byTag.status()).isEqualTo(304);
      assertThat(byTag.headers().get("etag")).isEqualTo(etag);
      Answer byGzipTag =
          exchange(
              s,
              "GET /herald.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nIf-None-Match: "
                  + gz.headers().get("etag")
                  + "\r\n\r\n");
      assertThat(byGzipTag.status()).isEqualTo(304);
      Answer byDate =
          exchange(
              s,
              "GET /herald.js HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: "
                  + lastModified
                  + "\r\n\r\n");
      assertThat(byDate.status()).isEqualTo(304);
      Answer older =
          exchange(
              s,
              "GET /herald.js HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:01"
                  + " GMT\r\n\r\n");
      assertThat(older.status()).isEqualTo(200);
      assertThat(older.body()).isEqualTo(plain);
      Answer otherTag =
          exchange(s, "GET /herald.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"nope\"\r\n\r\n");
      assertThat(otherTag.status()).isEqualTo(200);
    }
  }

  @Test
  void aHandshakeWithoutItsUpgradeHeaderGetsAClear400NotAPollAnswer() throws IOException {
    String ch = channel("stripped");
    String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    try (Socket s = connect()) {
      for (String request :
          new String[] {
            "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n" + key + "\r\n",
            "GET /channels/"
                + ch
                + " HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\r\n",
            "GET /channels/" + ch + " HTTP/1.1\r\nHost: x\r\n" + key + "\r\n",
          }) {
        Answer a = exchange(s, request);
        assertThat(a.status()).as(request).isEqualTo(400);
        assertThat(a.text())
            .contains("invalid_request")
            .contains("Upgrade header never reached the server");
        if (a.headers().getOrDefault("connection", "").equalsIgnoreCase("close")) {
          break;
        }
      }
    }
    // an upgrade to another protocol (h2c) is not a stripped WebSocket: a poll answer
    try (Socket s = connect()) {
      Answer h2c =
          exchange(
              s,
              "GET /channels/"
                  + ch
                  + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade:"
                  + " h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
      assertThat(h2c.status()).isIn(101, 200);
    }
  }

  @Test
  void aWebSocketThroughAProxyThatDropsUpgradeFailsWithThe400() throws Exception {
    assumeTrue(Files.isExecutable(NginxPollCacheIT.NGINX), "Debian's nginx is installed");
    int port = NginxPollCacheIT.freePort();
    Path prefix = dir.resolve("nginx-strip");
    Files.createDirectories(prefix);
    // the configuration many guides start from: no Upgrade/Connection forwarding (hop-by-hop
    // headers are dropped), so the handshake reaches Herald as a plain GET with Sec-WebSocket-Key
    Process nginx =
        NginxPollCacheIT.startNginx(
            prefix,
            "server { listen 127.0.0.1:"
                + port
                + "; location / { proxy_pass http://127.0.0.1:"
                + server.port()
                + "; proxy_http_version 1.1; } }",
            port);
    try {
      String ch = channel("via-nginx");
      CompletionException e =
          catchThrowableOfType(
              () ->
                  HttpClient.newHttpClient()
                      .newWebSocketBuilder()
                      .connectTimeout(Duration.ofSeconds(10))
                      .buildAsync(
                          URI.create("ws://127.0.0.1:" + port + "/channels/" + ch),
                          new WebSocket.Listener() {})
                      .join(),
              CompletionException.class);
      assertThat(e).isNotNull();
      assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
      HttpResponse<?> r = ((WebSocketHandshakeException) e.getCause()).getResponse();
      assertThat(r.statusCode()).isEqualTo(400);
      // the same handshake by hand, to read the message
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        s.setSoTimeout(20_000);
        Answer a =
            exchange(
                s,
                "GET /channels/"
                    + ch
                    + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.text()).contains("Upgrade header never reached the server");
      }
    } finally {
      nginx.destroy();
      if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
        nginx.destroyForcibly();
      }
    }
  }
}
