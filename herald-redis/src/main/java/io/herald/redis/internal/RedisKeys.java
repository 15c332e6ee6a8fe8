package io.herald.redis.internal;

import java.nio.charset.StandardCharsets;

/**
 * Names of a channel's Redis keys and Pub/Sub channel, all under one prefix and with the channel as
 * hash tag: {@code <prefix>:{<channel>}:meta}, {@code :stream} and {@code :live}. Channel names
 * contain no braces (see {@code io.herald.core.Names}), so the hash tag is exactly the channel.
 * Immutable and thread-safe.
 */
public final class RedisKeys {
  private final String prefix;

  /**
   * @param prefix the key prefix, for example {@code herald}; not empty, without braces
   */
  public RedisKeys(String prefix) {
    if (prefix.isEmpty() || prefix.contains("{") || prefix.contains("}")) {
      throw new IllegalArgumentException(
          "key prefix must be non-empty and without braces, got '" + prefix + "'");
    }
    this.prefix = prefix;
  }

  /** The hash holding the channel's epoch, head offset and last publication time. */
  public byte[] meta(String channel) {
    return bytes(channel, "meta");
  }

  /** The stream holding the channel's retained messages. */
  public byte[] stream(String channel) {
    return bytes(channel, "stream");
  }

  /** The Pub/Sub channel relaying the channel's publications to the nodes. */
  public byte[] live(String channel) {
    return bytes(channel, "live");
  }

  /**
   * The string key remembering where the publication with idempotency key {@code key} went on the
   * channel: {@code <prefix>:{<channel>}:idem:<key>}, in the channel's hash slot. The key is
   * printable ASCII; a brace in it does not change the hash tag, which is the first {@code {...}}.
   */
  public byte[] idempotency(String channel, String key) {
    return bytes(channel, "idem:" + key);
  }

  /**
   * The sorted set of the nodes that announced themselves, scored by the time of their last
   * announcement: {@code <prefix>:{nodes}:seen}. No channel key ends in {@code :seen}, so a channel
   * named {@code nodes} does not collide.
   */
  public byte[] nodes() {
    return (prefix + ":{nodes}:seen").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The hash of each announced node's details (JSON), by node id: {@code <prefix>:{nodes}:info}.
   */
  public byte[] nodeDetails() {
    return (prefix + ":{nodes}:info").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The Herald channel of a Pub/Sub channel name made by {@link #live}, or {@code null} when the
   * name is not one.
   */
  public String channelOfLive(byte[] live) {
    String s = new String(live, StandardCharsets.UTF_8);
    int open = s.indexOf('{');
    int close = s.lastIndexOf('}');
    if (open != prefix.length() + 1
        || close < open
        || !s.startsWith(prefix)
        || !s.endsWith("}:live")) {
      return null;
    }
    return s.substring(open + 1, close);
  }

  private byte[] bytes(String channel, String kind) {
    return (prefix + ":{" + channel + "}:" + kind).getBytes(StandardCharsets.UTF_8);
  }
}
