package io.herald.client.internal;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The settings a subscription needs from its client. Immutable.
 *
 * @param http the JDK client all requests go through
 * @param httpBase the server's base URL without a trailing slash, {@code http://host:port}
 * @param wsBase the same with a {@code ws} or {@code wss} scheme
 * @param shortPollInterval the pause after an empty short-poll answer
 * @param longPollWait the {@code wait} of each long poll, whole seconds, 1 or more
 * @param reconnectDelay the pause before reopening a dropped connection or retrying a failed poll
 * @param requestTimeout how long a publish or short poll may take before it fails
 * @param pollLimit the {@code limit} of each poll, or 0 to use the server's default
 * @param credentials the token and API key sent with every request and upgrade
 */
public record ClientSettings(
    HttpClient http,
    String httpBase,
    String wsBase,
    Duration shortPollInterval,
    Duration longPollWait,
    Duration reconnectDelay,
    Duration requestTimeout,
    int pollLimit,
    Credentials credentials) {}
