package io.herald.server.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The demo pages and {@code herald.js}: every file under a class-path prefix, read once when the
 * server starts. A request for anything else is a miss that costs no memory. Paths with {@code ..},
 * backslashes or hidden segments are never served. Immutable, thread-safe.
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

  private final Map<String, Asset> assets;

  /**
   * Reads every file with a known type under {@code prefix} (a class-path folder such as {@code
   * static/}, in a directory or in the jar).
   *
   * @throws UncheckedIOException when the files cannot be read
   */
  StaticFiles(String prefix) {
    this.assets = Map.copyOf(load(prefix));
  }

  private static Map<String, Asset> load(String prefix) {
    Map<String, Asset> found = new HashMap<>();
    try {
      // Every class-path root that holds the prefix (the server's own files, and for example a
      // test's pages beside them); a path found in two roots is served from the first.
      for (URL root : Collections.list(StaticFiles.class.getClassLoader().getResources(prefix))) {
        Map<String, Asset> here = new HashMap<>();
        URI uri = root.toURI();
        if (uri.getScheme().equals("jar")) {
          FileSystem fs;
          try {
            fs = FileSystems.newFileSystem(uri, Map.of());
          } catch (FileSystemAlreadyExistsException e) {
            fs = FileSystems.getFileSystem(uri);
          }
          walk(fs.getPath(prefix), here);
        } else {
          walk(Path.of(uri), here);
        }
        here.forEach(found::putIfAbsent);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the static files under " + prefix, e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return found;
  }

  private static void walk(Path dir, Map<String, Asset> into) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1));
        if (type == null) {
          continue;
        }
        StringBuilder path = new StringBuilder();
        for (Path part : dir.relativize(p)) {
          path.append('/').append(part.toString());
        }
        into.put(path.toString(), new Asset(Files.readAllBytes(p), type));
      }
    }
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
    return Optional.ofNullable(assets.get(p));
  }

  /** How many files were loaded. */
  int size() {
    return assets.size();
  }
}
