package io.herald.bench;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A server under test: its kind (Herald, nchan, or a generic server given by URL templates), its
 * subscribe and publish URL templates ({@code {channel}} is replaced) and optionally its pid for
 * /proc sampling. Immutable.
 *
 * <p>Spec syntax for {@code --target}: {@code
 * KIND[,name=N][,url=BASE][,sub=TEMPLATE][,pub=TEMPLATE][,pid=PID]} where KIND is {@code herald},
 * {@code nchan} or {@code generic}; e.g. {@code herald,url=http://127.0.0.1:8080,pid=1234} or
 * {@code nchan,url=http://127.0.0.1:8090,pid=5678}. A Herald target with {@code binary=1} publishes
 * binary messages ({@code application/octet-stream}, PROTOCOL.md section 11) and opens its
 * WebSockets with {@code binary=1}; SSE and polls then carry base64.
 */
final class Target {
  enum Kind {
    HERALD,
    NCHAN,
    GENERIC
  }

  final String name;
  final Kind kind;
  final String subscribeTemplate;
  final String publishTemplate;
  final long pid;

  /** Herald only: publish binary messages and receive them as WebSocket binary frames. */
  final boolean binary;

  Target(String name, Kind kind, String subscribeTemplate, String publishTemplate, long pid) {
    this(name, kind, subscribeTemplate, publishTemplate, pid, false);
  }

  Target(
      String name,
      Kind kind,
      String subscribeTemplate,
      String publishTemplate,
      long pid,
      boolean binary) {
    this.binary = binary;
    this.name = name;
    this.kind = kind;
    this.subscribeTemplate = subscribeTemplate;
    this.publishTemplate = publishTemplate;
    this.pid = pid;
    if (!subscribeTemplate.contains("{channel}") || !publishTemplate.contains("{channel}")) {
      throw new IllegalArgumentException(
          "URL templates must contain {channel}: " + subscribeTemplate + " / " + publishTemplate);
    }
    URI.create(subscribeTemplate.replace("{channel}", "c"));
    URI.create(publishTemplate.replace("{channel}", "c"));
  }

  /** Herald at {@code baseUrl}: {@code GET/POST baseUrl/channels/{channel}}. */
  static Target herald(String name, String baseUrl, long pid) {
    String b = trimSlash(baseUrl);
    return new Target(name, Kind.HERALD, b + "/channels/{channel}", b + "/channels/{channel}", pid);
  }

  /**
   * nchan with bench/nchan/nginx.conf at {@code baseUrl}: {@code /sub/{channel}} and {@code
   * /pub/{channel}}.
   */
  static Target nchan(String name, String baseUrl, long pid) {
    String b = trimSlash(baseUrl);
    return new Target(name, Kind.NCHAN, b + "/sub/{channel}", b + "/pub/{channel}", pid);
  }

  boolean herald() {
    return kind == Kind.HERALD;
  }

  /** The subscribe URL of {@code channel} (no query). */
  URI subscribeUri(String channel) {
    return URI.create(subscribeTemplate.replace("{channel}", channel));
  }

  /** The publish URL of {@code channel}. */
  URI publishUri(String channel) {
    return URI.create(publishTemplate.replace("{channel}", channel));
  }

  /** Same target, another name (a run's label). */
  Target withName(String newName) {
    return new Target(newName, kind, subscribeTemplate, publishTemplate, pid, binary);
  }

  /** Same target, another pid. */
  Target withPid(long newPid) {
    return new Target(name, kind, subscribeTemplate, publishTemplate, newPid, binary);
  }

  /**
   * Same target, publishing binary messages (Herald only).
   *
   * @throws IllegalArgumentException for another kind of server
   */
  Target withBinary(boolean on) {
    if (on && !herald()) {
      throw new IllegalArgumentException("binary messages are a Herald feature; not for " + name);
    }
    return new Target(name, kind, subscribeTemplate, publishTemplate, pid, on);
  }

  /**
   * Parses a {@code --target} spec (see the class comment).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static Target parse(String spec) {
    String[] parts = spec.split(",");
    Kind kind;
    try {
      kind = Kind.valueOf(parts[0].trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "target '" + spec + "' must start with herald, nchan or generic");
    }
    Map<String, String> kv = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("target part '" + parts[i] + "' is not key=value");
      }
      String key = parts[i].substring(0, eq).trim();
      if (!key.matches("name|url|sub|pub|pid|binary")) {
        throw new IllegalArgumentException(
            "unknown target key '" + key + "'; use name, url, sub, pub, pid, binary");
      }
      kv.put(key, parts[i].substring(eq + 1).trim());
    }
    String name = kv.getOrDefault("name", kind.name().toLowerCase(Locale.ROOT));
    long pid = kv.containsKey("pid") ? Long.parseLong(kv.get("pid")) : 0;
    switch (kind) {
      case HERALD:
        return herald(name, kv.getOrDefault("url", "http://127.0.0.1:8080"), pid)
            .withBinary("1".equals(kv.get("binary")));
      case NCHAN:
        return nchan(name, kv.getOrDefault("url", "http://127.0.0.1:8090"), pid);
      default:
        if (!kv.containsKey("sub") || !kv.containsKey("pub")) {
          throw new IllegalArgumentException(
              "a generic target needs sub=TEMPLATE and pub=TEMPLATE");
        }
        return new Target(name, Kind.GENERIC, kv.get("sub"), kv.get("pub"), pid);
    }
  }

  private static String trimSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public String toString() {
    return name + "(" + kind.name().toLowerCase(Locale.ROOT) + " " + subscribeTemplate + ")";
  }
}
