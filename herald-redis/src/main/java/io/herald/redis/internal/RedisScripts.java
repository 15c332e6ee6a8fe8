package io.herald.redis.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of the Redis broker, each with its SHA-1 for {@code EVALSHA}. The text of each is
 * {@code common.lua} followed by the script's own file, from this package's resources. Immutable.
 *
 * @param name the script's file name without {@code .lua}
 * @param text the full script, UTF-8
 * @param sha1 the script's SHA-1 in lower-case hex, as {@code SCRIPT LOAD} answers it
 */
public record RedisScripts(String name, byte[] text, String sha1) {
  /** Publishes one message; see {@code publish.lua}. */
  public static final RedisScripts PUBLISH = load("publish");

  /**
   * Reads a channel's history after an offset, creating the channel when missing; see {@code
   * read.lua}.
   */
  public static final RedisScripts READ = load("read");

  /** Reads a channel's epoch and head and refreshes its TTL; see {@code check.lua}. */
  public static final RedisScripts CHECK = load("check");

  /** A node announces itself and forgets silent nodes; see {@code announce.lua}. */
  public static final RedisScripts ANNOUNCE = load("announce");

  /** Lists the nodes that announced themselves lately; see {@code nodes.lua}. */
  public static final RedisScripts NODES = load("nodes");

  private static RedisScripts load(String name) {
    String text = resource("common") + "\n" + resource(name);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try {
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
      return new RedisScripts(name, bytes, sha);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JVM", e);
    }
  }

  private static String resource(String name) {
    try (InputStream in = RedisScripts.class.getResourceAsStream(name + ".lua")) {
      if (in == null) {
        throw new IllegalStateException("missing script resource " + name + ".lua");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
