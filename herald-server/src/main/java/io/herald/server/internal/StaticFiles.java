package io.herald.server.internal;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The demo pages and {@code herald.js}: every file under a class-path prefix, read once when the
 * server starts. A request for anything else is a miss that costs no memory. Paths with {@code ..},
 * backslashes or hidden segments are never served. Each file has a strong {@code ETag} (a hash of
 * its bytes) and a {@code Last-Modified}, and text files are gzipped once at load (RFC 9110
 * sections 8.4, 8.8 and 13; RFC 1952); brotli is not offered, since the JDK has no encoder and the
 * Java bindings need native libraries. Immutable, thread-safe.
 */
final class StaticFiles {
  /**
   * A file's bytes and content type, its strong ETag (with quotes), its last modification (whole
   * seconds), and its gzip encoding (null when it is not text or gzip would not save a tenth).
   */
  record Asset(byte[] bytes, String contentType, String etag, Instant lastModified, byte[] gzip) {
    /** The ETag of the gzip encoding: another representation, another tag. */
    String gzipEtag() {
      return etag.substring(0, etag.length() - 1) + "-gz\"";
    }
  }

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
        byte[] bytes = Files.readAllBytes(p);
        Instant modified = Files.getLastModifiedTime(p).toInstant().truncatedTo(ChronoUnit.SECONDS);
        into.put(path.toString(), new Asset(bytes, type, etag(bytes), modified, gzip(bytes, type)));
      }
    }
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
      return '"' + Base64.getUrlEncoder().withoutPadding().encodeToString(d).substring(0, 22) + '"';
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The gzip encoding of a text file, or null when it is not text or would not save a tenth. */
  private static byte[] gzip(byte[] bytes, String type) {
    boolean text =
        type.startsWith("text/")
            || type.startsWith("application/json")
            || type.startsWith("image/svg");
    if (!text || bytes.length < 256) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3);
    try (GZIPOutputStream gz =
        new GZIPOutputStream(out) {
          {
            def.setLevel(Deflater.BEST_COMPRESSION);
          }
        }) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] z = out.toByteArray();
    return z.length <= bytes.length * 9L / 10 ? z : null;
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

  /**
   * The answer to a {@code GET} or {@code HEAD} of {@code asset}: {@code 304} when the request's
   * {@code If-None-Match} matches (weak comparison; either encoding's tag), or, without one, when
   * its {@code If-Modified-Since} is not before the file's modification; else {@code 200} with the
   * gzip encoding when {@code Accept-Encoding} allows it (RFC 9110 section 12.5.3). Every answer
   * carries {@code ETag}, {@code Last-Modified}, {@code Cache-Control: no-cache} (revalidate each
   * time: the URLs are not versioned) and, for a file with a gzip encoding, {@code Vary:
   * Accept-Encoding}. The body is left to the caller to drop for {@code HEAD}.
   */
  static FullHttpResponse answer(Asset asset, HttpHeaders request) {
    boolean gzip = asset.gzip() != null && acceptsGzip(request.get("Accept-Encoding"));
    String etag = gzip ? asset.gzipEtag() : asset.etag();
    String inm = request.get(HttpHeaderNames.IF_NONE_MATCH);
    boolean notModified;
    if (inm != null) {
      notModified =
          asset.gzip() == null
              ? EntityTags.noneMatchHits(inm, asset.etag())
              : EntityTags.noneMatchHits(inm, asset.etag(), asset.gzipEtag());
    } else {
      Date since = DateFormatter.parseHttpDate(request.get(HttpHeaderNames.IF_MODIFIED_SINCE, ""));
      notModified = since != null && asset.lastModified().toEpochMilli() <= since.getTime();
    }
    byte[] body = gzip ? asset.gzip() : asset.bytes();
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            notModified ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
            notModified ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    HttpHeaders h = r.headers();
    h.set(HttpHeaderNames.ETAG, etag)
        .set(HttpHeaderNames.LAST_MODIFIED, DateFormatter.format(Date.from(asset.lastModified())))
        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    if (asset.gzip() != null) {
      h.add(HttpHeaderNames.VARY, "Accept-Encoding");
    }
    if (!notModified) {
      h.set(HttpHeaderNames.CONTENT_TYPE, asset.contentType())
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      if (gzip) {
        h.set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
      }
    }
    return r;
  }

  /** Whether an {@code Accept-Encoding} value allows gzip (a listed, non-zero q). */
  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    Boolean star = null;
    for (String part : acceptEncoding.split(",")) {
      String[] p = part.split(";");
      String coding = p[0].strip().toLowerCase(Locale.ROOT);
      double q = 1;
      for (int i = 1; i < p.length; i++) {
        String param = p[i].strip();
        if (param.regionMatches(true, 0, "q=", 0, 2)) {
          try {
            q = Double.parseDouble(param.substring(2).strip());
          } catch (NumberFormatException e) {
            q = 0;
          }
        }
      }
      if (coding.equals("gzip") || coding.equals("x-gzip")) {
        return q > 0;
      }
      if (coding.equals("*")) {
        star = q > 0;
      }
    }
    return Boolean.TRUE.equals(star);
  }

  /** How many files were loaded. */
  int size() {
    return assets.size();
  }
}
