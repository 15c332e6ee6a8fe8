package io.herald.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.client.internal.ClientSettings;
import io.herald.client.internal.Credentials;
import io.herald.client.internal.Subscriptions;
import io.herald.core.ContentTypes;
import io.herald.core.Cursor;
import io.herald.core.IdempotencyKeys;
import io.herald.core.Json;
import io.herald.core.Names;
import io.herald.core.ProtocolException;
import io.herald.core.Transport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A client of one Herald server: publishes over HTTP and subscribes over WebSocket, SSE, long poll
 * or short poll (PROTOCOL.md). Built on the JDK's {@link HttpClient}; nothing here blocks: every
 * method returns at once, results arrive through futures and listeners on the HttpClient's executor
 * threads. Thread-safe; one client may serve any number of publications and subscriptions.
 *
 * <pre>{@code
 * HeraldClient client = HeraldClient.create(URI.create("http://127.0.0.1:8080"));
 * client.publishText("chat", null, "hello").join();          // Published[channel=chat, offset=1, ...]
 * HeraldSubscription s = client.subscribe(List.of("chat"), Transport.SSE, null, listener);
 * Cursor resumeFrom = s.cursor();                            // resumes on any transport
 * }</pre>
 *
 * <p>On a server that asks for credentials (PROTOCOL.md section 10), give a token ({@link
 * Builder#token(String)}, or {@link Builder#tokenSupplier(Supplier)} to renew it) or an API key
 * ({@link Builder#apiKey(String)}); they go in headers on every request and WebSocket upgrade. A
 * subscription whose token expires (close {@code 4001}, SSE {@code herald.expired}, {@code 401
 * token_expired}) reconnects from its cursor with a new token from the supplier, losing and
 * repeating nothing; with a fixed token it ends with that error. A refusal ({@code 401
 * unauthorized}, {@code 403 forbidden}, close {@code 4003}) ends the subscription.
 */
public final class HeraldClient {
  /** The server when none is given: {@code http://127.0.0.1:8080}. */
  public static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

  /** Default pause after an empty short-poll answer: 1 second. */
  public static final Duration DEFAULT_SHORT_POLL_INTERVAL = Duration.ofSeconds(1);

  /** Default {@code wait} of each long poll: 25 seconds. */
  public static final Duration DEFAULT_LONG_POLL_WAIT = Duration.ofSeconds(25);

  /** Default pause before reopening a dropped connection or retrying a failed poll: 1 second. */
  public static final Duration DEFAULT_RECONNECT_DELAY = Duration.ofSeconds(1);

  /** Default time a connect, publish or short poll may take: 10 seconds. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** Default retries of a publication whose outcome is unknown or that was refused: 5. */
  public static final int DEFAULT_PUBLISH_RETRIES = 5;

  /** Default pause before the first retry of a publication: 250 ms, doubling up to 5 s. */
  public static final Duration DEFAULT_PUBLISH_RETRY_DELAY = Duration.ofMillis(250);

  private static final long MAX_PUBLISH_RETRY_DELAY_MILLIS = 5_000;

  private final URI base;
  private final ClientSettings settings;
  private final int publishRetries;
  private final Duration publishRetryDelay;

  private HeraldClient(Builder b) {
    this.base = b.base;
    this.publishRetries = b.publishRetries;
    this.publishRetryDelay = b.publishRetryDelay;
    String http = b.base.toString();
    while (http.endsWith("/")) {
      http = http.substring(0, http.length() - 1);
    }
    String ws =
        http.startsWith("https:")
            ? "wss:" + http.substring(6)
            : "ws:" + http.substring(http.indexOf(':') + 1);
    HttpClient h =
        b.http != null
            ? b.http
            : HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.requestTimeout)
                .build();
    this.settings =
        new ClientSettings(
            h,
            http,
            ws,
            b.shortPollInterval,
            b.longPollWait,
            b.reconnectDelay,
            b.requestTimeout,
            b.pollLimit,
            new Credentials(b.token, b.tokenRenewable, b.apiKey));
  }

  /**
   * A client of the server at {@code base} with default settings.
   *
   * @param base {@code http://host:port} or {@code https://host:port}, optionally with a path
   *     prefix
   * @throws IllegalArgumentException when the scheme is not http or https
   */
  public static HeraldClient create(URI base) {
    return builder(base).build();
  }

  /** A builder for a client of the server at {@code base} ({@code http} or {@code https}). */
  public static Builder builder(URI base) {
    return new Builder(base);
  }

  /** The server's base URL as given. */
  public URI base() {
    return base;
  }

  /**
   * Publishes one JSON value: {@code POST /channels/{channel}} with {@code Content-Type:
   * application/json}, at most once. Returns at once.
   *
   * <p>Every publication carries a new random {@code Idempotency-Key}. When its outcome is unknown
   * ({@code 504 publish_outcome_unknown}, a network error or timeout, a proxy's {@code 502} when
   * the node behind it failed) or the server took nothing ({@code 503}), it is sent again with the
   * same key, up to {@link Builder#publishRetries(int)} times with a doubling, jittered pause
   * ({@link Builder#publishRetryDelay(Duration)}, up to 5 s): the server publishes it at most once
   * and answers the first publication's offset and epoch to a repeat.
   *
   * @param channel a channel name, 1 to 200 of {@code A-Z a-z 0-9 _ - . : @ =}
   * @param event the event name, or {@code null} for {@code message}
   * @param json exactly one JSON value, UTF-8; the server checks it and limits its size (64 KiB by
   *     default)
   * @return completes with where the message stands, or exceptionally with a {@link
   *     HeraldClientException} carrying the server's error code (status 0 when refused before
   *     sending, for a bad channel or event name), or an {@link java.io.IOException} when the
   *     server could not be reached; after the last retry, the last failure
   */
  public CompletableFuture<Published> publish(String channel, String event, byte[] json) {
    return publish(channel, event, json, UUID.randomUUID().toString());
  }

  /**
   * Publishes one JSON value with the given idempotency key, retrying as {@link #publish(String,
   * String, byte[])} does. Use it to make a publication idempotent across restarts of the caller:
   * the same key within the server's window (5 minutes by default) publishes nothing more.
   *
   * @param idempotencyKey 1 to 128 printable ASCII characters
   * @throws IllegalArgumentException when the key is not
   */
  public CompletableFuture<Published> publish(
      String channel, String event, byte[] json, String idempotencyKey) {
    Objects.requireNonNull(json, "json");
    checkKey(idempotencyKey);
    return send(channel, event, "application/json", json, idempotencyKey);
  }

  /**
   * Publishes a text: {@code POST /channels/{channel}} with {@code Content-Type: text/plain;
   * charset=utf-8}; the message's {@code data} is that string. Returns at once. Sent with an
   * idempotency key and retried as {@link #publish(String, String, byte[])}.
   *
   * @param channel a channel name
   * @param event the event name, or {@code null} for {@code message}
   * @param text any text, sent as UTF-8
   * @return as {@link #publish(String, String, byte[])}
   */
  public CompletableFuture<Published> publishText(String channel, String event, String text) {
    Objects.requireNonNull(text, "text");
    return send(
        channel,
        event,
        "text/plain; charset=utf-8",
        text.getBytes(StandardCharsets.UTF_8),
        UUID.randomUUID().toString());
  }

  /**
   * Publishes a binary message (PROTOCOL.md section 11): {@code POST /channels/{channel}} with the
   * raw bytes as the body and {@code contentType} as its {@code Content-Type}; subscribers receive
   * exactly these bytes ({@link io.herald.core.Message#data()}, with {@link
   * io.herald.core.Message#isBinary()} true and the same {@link
   * io.herald.core.Message#contentType()}), on every transport. Returns at once. Sent with an
   * idempotency key and retried as {@link #publish(String, String, byte[])}.
   *
   * @param channel a channel name
   * @param event the event name, or {@code null} for {@code message}
   * @param bytes any bytes; the server limits their count (64 KiB by default, {@code 413
   *     message_too_large} past it). Not copied: do not change them until the future completes
   * @param contentType a type that is neither JSON nor text, such as {@code
   *     application/octet-stream} or {@code image/png}
   * @return as {@link #publish(String, String, byte[])}; fails at once with a {@link
   *     HeraldClientException} (status 0, {@code unsupported_media_type}) for a JSON, text or
   *     malformed content type
   */
  public CompletableFuture<Published> publishBinary(
      String channel, String event, byte[] bytes, String contentType) {
    Objects.requireNonNull(bytes, "bytes");
    String type;
    try {
      type = ContentTypes.requireBinary(contentType);
    } catch (ProtocolException e) {
      return CompletableFuture.failedFuture(
          new HeraldClientException(0, e.code().code(), e.getMessage()));
    }
    return send(channel, event, type, bytes, UUID.randomUUID().toString());
  }

  private static void checkKey(String key) {
    try {
      IdempotencyKeys.check(Objects.requireNonNull(key, "idempotencyKey"));
    } catch (ProtocolException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  private CompletableFuture<Published> send(
      String channel, String event, String contentType, byte[] body, String key) {
    try {
      Names.channel(channel);
      if (event != null) {
        Names.event(event);
      }
    } catch (ProtocolException e) {
      return CompletableFuture.failedFuture(
          new HeraldClientException(0, e.code().code(), e.getMessage()));
    }
    URI uri =
        URI.create(
            settings.httpBase()
                + "/channels/"
                + channel
                + (event == null ? "" : "?event=" + event));
    HttpRequest request =
        settings
            .credentials()
            .apply(HttpRequest.newBuilder(uri))
            .timeout(settings.requestTimeout())
            .header("Content-Type", contentType)
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    CompletableFuture<Published> result = new CompletableFuture<>();
    attempt(request, 0, result);
    return result;
  }

  private void attempt(HttpRequest request, int retry, CompletableFuture<Published> result) {
    settings
        .http()
        .sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(HeraldClient::published)
        .whenComplete(
            (p, error) -> {
              if (error == null) {
                result.complete(p);
                return;
              }
              Throwable cause =
                  error instanceof java.util.concurrent.CompletionException
                          && error.getCause() != null
                      ? error.getCause()
                      : error;
              if (retry >= publishRetries || !retryable(cause)) {
                result.completeExceptionally(cause);
                return;
              }
              long cap =
                  Math.min(
                      MAX_PUBLISH_RETRY_DELAY_MILLIS,
                      publishRetryDelay.toMillis() << Math.min(retry, 20));
              long delay = cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
              CompletableFuture.runAsync(
                  () -> attempt(request, retry + 1, result),
                  CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS));
            });
  }

  /**
   * Whether a failed publication may be sent again with its key: its outcome is unknown ({@code
   * 504}, no answer, or a proxy's {@code 502} when the node it sent to failed) or nothing was taken
   * ({@code 503}).
   */
  private static boolean retryable(Throwable cause) {
    if (cause instanceof HeraldClientException e) {
      return e.status() == 502 || e.status() == 503 || e.status() == 504;
    }
    return cause instanceof java.io.IOException;
  }

  private static Published published(HttpResponse<byte[]> response) {
    int status = response.statusCode();
    JsonNode node = null;
    try {
      node = Json.MAPPER.readTree(response.body());
    } catch (Exception ignored) {
      // Handled below: an answer that is not JSON.
    }
    if (status == 201 && node != null && node.path("offset").canConvertToLong()) {
      return new Published(
          node.path("channel").asText(), node.path("offset").asLong(), node.path("epoch").asText());
    }
    JsonNode e = node == null ? null : node.path("error");
    if (e != null && e.path("code").isTextual()) {
      throw new HeraldClientException(
          status, e.path("code").asText(), e.path("message").asText(""));
    }
    String text = new String(response.body(), StandardCharsets.UTF_8);
    throw new HeraldClientException(
        status,
        "unknown",
        "unexpected answer HTTP "
            + status
            + (text.isBlank()
                ? ""
                : ": " + (text.length() > 200 ? text.substring(0, 200) + "..." : text)));
  }

  /**
   * Subscribes to channels over one transport and starts delivery; returns at once. The listener
   * first gets {@link SubscriptionListener#onSubscribed} per channel, then messages in order.
   *
   * @param channels 1 or more distinct channel names (the server limits how many)
   * @param transport how to receive
   * @param since one position per channel, in the order of {@code channels}, from any transport's
   *     {@link HeraldSubscription#cursor()}; {@code null} for "from now" on every channel
   * @param listener receives what arrives, one call at a time (see {@link SubscriptionListener})
   * @return the open subscription; close it to stop
   * @throws IllegalArgumentException for an invalid or repeated channel name, or a cursor whose
   *     size differs from the channel count
   */
  public HeraldSubscription subscribe(
      List<String> channels, Transport transport, Cursor since, SubscriptionListener listener) {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(listener, "listener");
    try {
      Names.channelList(String.join(",", channels), Integer.MAX_VALUE);
    } catch (ProtocolException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return Subscriptions.open(settings, transport, List.copyOf(channels), since, listener);
  }

  /** Settings of a {@link HeraldClient}; every setting has a default. Not thread-safe. */
  public static final class Builder {
    private final URI base;
    private HttpClient http;
    private Duration shortPollInterval = DEFAULT_SHORT_POLL_INTERVAL;
    private Duration longPollWait = DEFAULT_LONG_POLL_WAIT;
    private Duration reconnectDelay = DEFAULT_RECONNECT_DELAY;
    private int publishRetries = DEFAULT_PUBLISH_RETRIES;
    private Duration publishRetryDelay = DEFAULT_PUBLISH_RETRY_DELAY;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private int pollLimit;
    private Supplier<String> token;
    private boolean tokenRenewable;
    private String apiKey;

    private Builder(URI base) {
      Objects.requireNonNull(base, "base");
      String scheme = base.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
        throw new IllegalArgumentException(
            "server URL must start with http:// or https://, got '" + base + "'");
      }
      this.base = base;
    }

    /**
     * The JDK client to use (default: a new HTTP/1.1 client with the request timeout as connect
     * timeout).
     */
    public Builder httpClient(HttpClient http) {
      this.http = Objects.requireNonNull(http);
      return this;
    }

    /** Pause after an empty short-poll answer, 1 ms or more (default 1 s). */
    public Builder shortPollInterval(Duration d) {
      this.shortPollInterval = positive(d, "shortPollInterval");
      return this;
    }

    /** The {@code wait} of each long poll, whole seconds, 1 s or more (default 25 s). */
    public Builder longPollWait(Duration d) {
      if (d.toSeconds() < 1) {
        throw new IllegalArgumentException("longPollWait must be 1 second or more, got " + d);
      }
      this.longPollWait = d;
      return this;
    }

    /**
     * Pause before reopening a dropped connection or retrying a failed poll, 0 or more (default 1
     * s); it doubles with each failure in a row, up to 30 s, and is reset by a successful
     * connection.
     */
    public Builder reconnectDelay(Duration d) {
      if (d.isNegative()) {
        throw new IllegalArgumentException("reconnectDelay must not be negative, got " + d);
      }
      this.reconnectDelay = d;
      return this;
    }

    /** Time a connect, publish or short poll may take, 1 ms or more (default 10 s). */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = positive(d, "requestTimeout");
      return this;
    }

    /**
     * The {@code limit} of each poll answer, 1 or more, or 0 for the server's default (default 0).
     */
    public Builder pollLimit(int limit) {
      if (limit < 0) {
        throw new IllegalArgumentException("pollLimit must be 0 or more, got " + limit);
      }
      this.pollLimit = limit;
      return this;
    }

    /**
     * How many times a publication is sent again after a {@code 502}, a {@code 503}, a {@code 504}
     * or a network error, with the same idempotency key, 0 or more (default {@value
     * HeraldClient#DEFAULT_PUBLISH_RETRIES}).
     */
    public Builder publishRetries(int retries) {
      if (retries < 0) {
        throw new IllegalArgumentException("publishRetries must be 0 or more, got " + retries);
      }
      this.publishRetries = retries;
      return this;
    }

    /**
     * A token (a JWT) sent as {@code Authorization: Bearer} on every request and WebSocket upgrade
     * (default: none). A fixed token stops working at its {@code exp}: use {@link
     * #tokenSupplier(Supplier)} to renew it.
     *
     * @param token the token, or {@code null} for none
     */
    public Builder token(String token) {
      this.token = token == null || token.isEmpty() ? null : () -> token;
      this.tokenRenewable = false;
      return this;
    }

    /**
     * Pause before the first retry of a publication, 0 or more (default 250 ms); it doubles with
     * each retry, up to 5 s, jittered down by up to half.
     */
    public Builder publishRetryDelay(Duration d) {
      if (d.isNegative()) {
        throw new IllegalArgumentException("publishRetryDelay must not be negative, got " + d);
      }
      this.publishRetryDelay = d;
      return this;
    }

    /**
     * Gives the token for each request and each connection (default: none): called again whenever
     * one is needed, so it can return a renewed token; when the server says a token expired, the
     * subscription reconnects from its cursor with the supplier's next one. Called on the thread
     * that opens the request (the caller's, or the HttpClient's executor); it must be thread-safe
     * and should not block for long (cache the token and renew it ahead of its {@code exp}).
     *
     * @param supplier gives the token, or {@code null} or an empty string for none
     */
    public Builder tokenSupplier(Supplier<String> supplier) {
      this.token = Objects.requireNonNull(supplier, "supplier");
      this.tokenRenewable = true;
      return this;
    }

    /**
     * An API key sent as {@code X-Api-Key} on every request and WebSocket upgrade (default: none):
     * for backends, which may then publish to and read every channel. Never sent in a URL.
     *
     * @param apiKey the key, or {@code null} for none
     */
    public Builder apiKey(String apiKey) {
      this.apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
      return this;
    }

    /** The client. */
    public HeraldClient build() {
      return new HeraldClient(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
