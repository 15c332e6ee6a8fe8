package io.herald.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The test's own HTTP publisher and short-poll subscriber (the JDK's HttpClient, HTTP/1.1), to
 * check what the page does against the wire protocol. Thread-safe.
 */
final class Http {
  static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger CHANNELS = new AtomicInteger();

  private Http() {}

  /** A channel name no other test uses. */
  static String channel(String prefix) {
    return "bt-" + prefix + "-" + ProcessHandle.current().pid() + "-" + CHANNELS.incrementAndGet();
  }

  /**
   * Publishes {@code text} as a text/plain message; returns the {@code 201} answer ({@code channel,
   * offset, epoch}).
   */
  static JsonNode publish(String base, String channel, String text) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/channels/" + channel))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "text/plain; charset=utf-8")
            .POST(HttpRequest.BodyPublishers.ofString(text))
            .build();
    HttpResponse<String> r = send(request);
    if (r.statusCode() != 201) {
      throw new AssertionError(
          "publish to " + channel + " answered " + r.statusCode() + ": " + r.body());
    }
    return parse(r.body());
  }

  /** Publishes one JSON value; returns the {@code 201} answer. */
  static JsonNode publishJson(String base, String channel, String json) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/channels/" + channel))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build();
    HttpResponse<String> r = send(request);
    if (r.statusCode() != 201) {
      throw new AssertionError(
          "publish to " + channel + " answered " + r.statusCode() + ": " + r.body());
    }
    return parse(r.body());
  }

  /**
   * One short poll: {@code GET /channels/{channel}?since=CURSOR}; returns the {@code 200} answer.
   */
  static JsonNode poll(String base, String channel, String since) {
    String q =
        since == null
            ? ""
            : "?since="
                + java.net.URLEncoder.encode(since, java.nio.charset.StandardCharsets.UTF_8);
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/channels/" + channel + q))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build();
    HttpResponse<String> r = send(request);
    if (r.statusCode() != 200) {
      throw new AssertionError(
          "poll of " + channel + " answered " + r.statusCode() + ": " + r.body());
    }
    return parse(r.body());
  }

  /** The {@code data} of every message in a poll answer, as text. */
  static List<String> data(JsonNode pollAnswer) {
    List<String> out = new ArrayList<>();
    for (JsonNode m : pollAnswer.get("messages")) {
      JsonNode d = m.get("data");
      out.add(d.isTextual() ? d.asText() : d.toString());
    }
    return out;
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Publishes raw bytes with a binary {@code Content-Type} (PROTOCOL.md section 11); returns the
   * {@code 201} answer.
   */
  static JsonNode publishBytes(String base, String channel, String contentType, byte[] bytes) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/channels/" + channel))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
            .build();
    HttpResponse<String> r = send(request);
    if (r.statusCode() != 201) {
      throw new AssertionError(
          "publish of bytes to " + channel + " answered " + r.statusCode() + ": " + r.body());
    }
    return parse(r.body());
  }
}
