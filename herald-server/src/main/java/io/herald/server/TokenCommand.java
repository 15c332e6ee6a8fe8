package io.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.core.Json;
import io.herald.server.auth.TokenMinter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code herald token}: prints an HS256 token minted with the server's HMAC secret ({@code
 * --auth-hmac-secret}, {@code HERALD_AUTH_HMAC_SECRET} or the config file), for development and
 * scripts. A real application mints tokens in its own backend.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Mint a token (HS256, signed with the server's HMAC secret) for development and scripts.",
      "Example: herald token --sub 42 --subscribe 'chat:*' --publish 'chat:*' --ttl 1h"
    })
final class TokenCommand implements Callable<Integer> {
  private static final Pattern TTL = Pattern.compile("(\\d{1,9})([smhd]?)");

  @Option(names = "--sub", required = true, description = "The user id (sub claim).")
  String sub;

  @Option(
      names = "--subscribe",
      split = ",",
      description = "Channel patterns it may subscribe to: a name or a prefix ending in '*'.")
  List<String> subscribe = new ArrayList<>();

  @Option(
      names = "--publish",
      split = ",",
      description = "Channel patterns it may publish to: a name or a prefix ending in '*'.")
  List<String> publish = new ArrayList<>();

  @Option(
      names = "--ttl",
      defaultValue = "1h",
      description = "Lifetime: a number with s, m, h or d (default: ${DEFAULT-VALUE}).")
  String ttl;

  @Option(names = "--info", description = "Any JSON value for the herald.info claim.")
  String info;

  @Option(
      names = "--auth-hmac-secret",
      defaultValue = "${env:HERALD_AUTH_HMAC_SECRET}",
      description = "The server's HMAC secret, at least 32 bytes [HERALD_AUTH_HMAC_SECRET].")
  String secret;

  @Option(
      names = "--auth-issuer",
      defaultValue = "${env:HERALD_AUTH_ISSUER}",
      description = "iss claim [HERALD_AUTH_ISSUER].")
  String issuer;

  @Option(
      names = "--auth-audience",
      defaultValue = "${env:HERALD_AUTH_AUDIENCE}",
      description = "aud claim [HERALD_AUTH_AUDIENCE].")
  String audience;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The server's YAML configuration file, read for the three above [HERALD_CONFIG].")
  java.nio.file.Path configFile;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if (secret == null || issuer == null || audience == null) {
      try { // what the options and variables leave unset comes from the configuration file
        ServerConfig file = Settings.resolve(java.util.Map.of(), System.getenv(), configFile);
        secret = secret == null ? file.authHmacSecret() : secret;
        issuer = issuer == null ? file.authIssuer() : issuer;
        audience = audience == null ? file.authAudience() : audience;
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("herald token: " + e.getMessage());
        return 2;
      }
    }
    if (secret == null || secret.isEmpty()) {
      spec.commandLine()
          .getErr()
          .println(
              "herald token: no HMAC secret; pass --auth-hmac-secret or set HERALD_AUTH_HMAC_SECRET");
      return 2;
    }
    try {
      JsonNode infoValue = null;
      if (info != null) {
        try {
          infoValue = Json.MAPPER.readTree(info);
        } catch (IOException e) {
          throw new IllegalArgumentException("--info is not valid JSON: " + e.getMessage());
        }
      }
      TokenMinter minter = new TokenMinter(secret, issuer, audience, java.time.Clock.systemUTC());
      spec.commandLine()
          .getOut()
          .println(minter.mint(sub, subscribe, publish, parseTtl(ttl), infoValue));
      return 0;
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("herald token: " + e.getMessage());
      return 2;
    }
  }

  /** {@code 90s}, {@code 15m}, {@code 1h}, {@code 7d}, or a bare number of seconds. */
  static Duration parseTtl(String text) {
    Matcher m = TTL.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--ttl must be a number with s, m, h or d (90s, 15m, 1h, 7d), got '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      default -> Duration.ofSeconds(n);
    };
  }
}
