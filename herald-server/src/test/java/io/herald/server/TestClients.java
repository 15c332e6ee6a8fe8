package io.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.core.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** Real clients for tests: the JDK's HttpClient and WebSocket, with bounded waits. */
public final class TestClients {
  public static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private static final AtomicInteger CHANNELS = new AtomicInteger();

  private TestClients() {}

  /** A channel name no other test uses. */
  public static String channel(String prefix) {
    return prefix
        + "-"
        + CHANNELS.incrementAndGet()
        + "-"
        + Long.toString(System.nanoTime() % 100000, 36);
  }

  public static HttpResponse<String> get(String url, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }

  public static HttpResponse<String> post(String url, String contentType, byte[] body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return send(b.build());
  }

  public static JsonNode publish(String base, String channel, String json) {
    HttpResponse<String> r =
        post(
            base + "/channels/" + channel,
            "application/json",
            json.getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r.body());
  }

  public static HttpResponse<String> send(HttpRequest request) {
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static JsonNode json(String s) {
    try {
      return Json.MAPPER.readTree(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An SSE stream read line by line on the HttpClient's threads. */
  public static final class Sse implements AutoCloseable {
    public final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    public final HttpResponse<Stream<String>> response;

    public Sse(String url, String... headers) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
      if (headers.length > 0) {
        b.headers(headers);
      }
      try {
        response = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofLines());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      Thread t =
          new Thread(
              () -> {
                try {
                  response.body().forEach(lines::add);
                } catch (RuntimeException e) {
                  // the stream was closed
                }
                lines.add("<eof>");
              },
              "sse-reader");
      t.setDaemon(true);
      t.start();
    }

    /** The next line, waiting at most 10 seconds. */
    public String next() {
      try {
        String line = lines.poll(10, TimeUnit.SECONDS);
        assertThat(line).as("an SSE line within 10 s").isNotNull();
        return line;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** The next event's lines up to the blank line, as one string joined with newlines. */
    public String nextEvent() {
      StringBuilder b = new StringBuilder();
      while (true) {
        String line = next();
        if (line.equals("<eof>")) {
          return b.length() == 0 ? "<eof>" : b.toString();
        }
        if (line.isEmpty()) {
          if (b.length() > 0) {
            return b.toString();
          }
          continue;
        }
        if (b.length() > 0) {
          b.append('\n');
        }
        b.append(line);
      }
    }

    @Override
    public void close() {
      response.body().close();
    }
  }

  /**
   * A WebSocket whose text messages, binary messages (each whole, fragments joined) and close
   * status land in queues. Open for tests that add senders or readers of their own.
   */
  public static class Ws implements WebSocket.Listener, AutoCloseable {
    public final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    public final BlockingQueue<byte[]> binaries = new LinkedBlockingQueue<>();
    private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();
    public final WebSocket socket;
    private final StringBuilder partial = new StringBuilder();

    public Ws(String url) {
      socket =
          HTTP.newWebSocketBuilder()
              .connectTimeout(Duration.ofSeconds(5))
              .buildAsync(URI.create(url), this)
              .join();
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      binary.writeBytes(b);
      if (last) {
        binaries.add(binary.toByteArray());
        binary.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(-1);
    }

    public void send(String text) {
      socket.sendText(text, true).join();
    }

    public JsonNode next() {
      try {
        String t = texts.poll(10, TimeUnit.SECONDS);
        assertThat(t).as("a WebSocket frame within 10 s").isNotNull();
        return json(t);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() {
      socket.abort();
    }
  }
}
