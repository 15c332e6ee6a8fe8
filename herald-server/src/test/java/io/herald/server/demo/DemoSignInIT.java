package io.herald.server.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.herald.core.Json;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import io.herald.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code POST /demo/token} over a real socket, on a server started with the demos' development
 * credentials: the token opens the user's own channel and no other user's.
 */
@Timeout(60)
@ExtendWith(LeakDetection.class)
class DemoSignInIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
    return HTTP.send(
        r.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void signsInAndTheTokenReadsTheUsersOwnChannelOnly() throws Exception {
    ServerConfig config =
        DemoSignIn.developmentDefaults(
            ServerConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownTimeout(Duration.ofSeconds(1))
                .demoFeed(true));
    try (HeraldServer server = HeraldServer.start(config)) {
      String base = server.baseUrl();
      HttpResponse<String> r =
          send(
              HttpRequest.newBuilder(URI.create(base + "/demo/token"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Grace\"}")));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      String token = Json.MAPPER.readTree(r.body()).get("token").asText();
      assertThat(
              send(HttpRequest.newBuilder(URI.create(base + "/channels/user:grace"))
                      .header("Authorization", "Bearer " + token))
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              send(HttpRequest.newBuilder(URI.create(base + "/channels/user:alan"))
                      .header("Authorization", "Bearer " + token))
                  .statusCode())
          .isEqualTo(403);
      assertThat(
              send(HttpRequest.newBuilder(URI.create(base + "/channels/user:grace"))).statusCode())
          .isEqualTo(401);
      // the other demos stay public
      assertThat(
              send(HttpRequest.newBuilder(URI.create(base + "/channels/demo:prices"))).statusCode())
          .isEqualTo(200);
      HttpResponse<String> get = send(HttpRequest.newBuilder(URI.create(base + "/demo/token")));
      assertThat(get.statusCode()).isEqualTo(405);
      HttpResponse<String> bad =
          send(
              HttpRequest.newBuilder(URI.create(base + "/demo/token"))
                  .POST(HttpRequest.BodyPublishers.ofString("{}")));
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("invalid_request");
    }
  }
}
