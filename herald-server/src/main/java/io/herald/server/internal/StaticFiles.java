package io.herald.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The demo pages and {@code herald.js}, read from the class path under a prefix and kept in memory
 * after the first read. Paths with {@code ..}, backslashes or hidden segments are never served.
 * Thread-safe.
 */
final class StaticFiles {
  /** A file's bytes and content type. */
  record Asset(byte[] bytes, String contentType) {}

  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "mjs", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "json", "application/json",
          "ico", "image/x-icon",
          "txt", "text/plain; charset=utf-8",
          "md", "text/markdown; charset=utf-8");

  private final String prefix;
  private final Map<String, Optional<Asset>> cache = new ConcurrentHashMap<>();

  StaticFiles(String prefix) {
    this.prefix = prefix;
  }

  /**
   * The asset for a request path such as {@code /} or {@code /demos/chat.html}; empty when there is
   * none or the path is not allowed. {@code /} and paths ending in {@code /} serve {@code
   * index.html}.
   */
  Optional<Asset> find(String path) {
    if (!path.startsWith("/")
        || path.contains("..")
        || path.contains("\\")
        || path.contains("/.")
        || path.length() > 256) {
      return Optional.empty();
    }
    String p = path.endsWith("/") ? path + "index.html" : path;
    return cache.computeIfAbsent(p, this::load);
  }

  private Optional<Asset> load(String path) {
    int dot = path.lastIndexOf('.');
    String type = dot < 0 ? null : TYPES.get(path.substring(dot + 1));
    if (type == null) {
      return Optional.empty();
    }
    try (InputStream in =
        StaticFiles.class.getClassLoader().getResourceAsStream(prefix + path.substring(1))) {
      return in == null ? Optional.empty() : Optional.of(new Asset(in.readAllBytes(), type));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
