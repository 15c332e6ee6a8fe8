package io.herald.server.auth;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a namespace allows (PROTOCOL.md section 10): who may subscribe to and publish on its
 * channels, and its own history bounds when they differ from the server's. A namespace is the part
 * of a channel name before the first {@code :}; names without {@code :} are in {@link
 * #DEFAULT_NAMESPACE}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param namespace the namespace name, or {@value #DEFAULT_NAMESPACE} for channels without {@code
 *     :}
 * @param subscribe who may subscribe
 * @param publish who may publish
 * @param historySize messages kept per channel of this namespace (1 to 1,000,000), or empty for the
 *     server's {@code --history-size}
 * @param historyAge how long a message is kept (at least one second), or empty for the server's
 *     {@code --history-age-seconds}
 * @param pollCacheSeconds how long (1 to {@value #MAX_POLL_CACHE_SECONDS} seconds) shared caches
 *     may keep a short-poll answer of this namespace ({@code Cache-Control: public, max-age=N},
 *     PROTOCOL.md section 12), or empty for never; it applies only while subscribing is {@link
 *     SubscribeAccess#PUBLIC} (or the server has no credentials configured) and the request carries
 *     none
 */
public record NamespacePolicy(
    String namespace,
    SubscribeAccess subscribe,
    PublishAccess publish,
    Optional<Integer> historySize,
    Optional<Duration> historyAge,
    Optional<Integer> pollCacheSeconds) {

  /** The longest {@code poll-cache-seconds} a namespace may set: one hour. */
  public static final int MAX_POLL_CACHE_SECONDS = 3600;

  /** The name that stands for channels without a {@code :}. */
  public static final String DEFAULT_NAMESPACE = "default";

  public NamespacePolicy {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(subscribe, "subscribe");
    Objects.requireNonNull(publish, "publish");
    Objects.requireNonNull(historySize, "historySize");
    Objects.requireNonNull(historyAge, "historyAge");
    Objects.requireNonNull(pollCacheSeconds, "pollCacheSeconds");
    pollCacheSeconds.ifPresent(
        n -> {
          if (n < 1 || n > MAX_POLL_CACHE_SECONDS) {
            throw new IllegalArgumentException(
                "poll-cache-seconds must be from 1 to " + MAX_POLL_CACHE_SECONDS + ", got " + n);
          }
        });
  }

  /** A policy whose short polls are never cacheable by shared caches. */
  public NamespacePolicy(
      String namespace,
      SubscribeAccess subscribe,
      PublishAccess publish,
      Optional<Integer> historySize,
      Optional<Duration> historyAge) {
    this(namespace, subscribe, publish, historySize, historyAge, Optional.empty());
  }

  /** A policy with the server's history bounds. */
  public static NamespacePolicy of(
      String namespace, SubscribeAccess subscribe, PublishAccess publish) {
    return new NamespacePolicy(
        namespace, subscribe, publish, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** The namespace of a channel name: the part before the first {@code :}, or the default one. */
  public static String namespaceOf(String channel) {
    int colon = channel.indexOf(':');
    return colon < 0 ? DEFAULT_NAMESPACE : channel.substring(0, colon);
  }

  /** Who may subscribe to a namespace's channels. */
  public enum SubscribeAccess {
    /** Anyone. */
    PUBLIC,
    /** A token that grants the channel (or an API key). */
    TOKEN
  }

  /** Who may publish to a namespace's channels. */
  public enum PublishAccess {
    /** Anyone. */
    PUBLIC,
    /** A token that grants the channel (or an API key). */
    TOKEN,
    /** Backends with an API key only. */
    API
  }
}
