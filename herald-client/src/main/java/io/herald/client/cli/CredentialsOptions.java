package io.herald.client.cli;

import picocli.CommandLine.Option;

/**
 * The credentials options that every {@code herald} client command takes (PROTOCOL.md section 10),
 * as a picocli mixin: {@code --token JWT} (default {@code $HERALD_TOKEN}), sent as {@code
 * Authorization: Bearer}, and {@code --api-key KEY} (default {@code $HERALD_API_KEY}), sent as
 * {@code X-Api-Key}. Either may be absent ({@code null}). Filled in by picocli before the command
 * runs; not thread-safe.
 */
public class CredentialsOptions {
  @Option(
      names = "--token",
      paramLabel = "JWT",
      defaultValue = "${env:HERALD_TOKEN}",
      description =
          "A token sent as Authorization: Bearer (default: $HERALD_TOKEN; prefer the variable: "
              + "options show in the process list).")
  private String token;

  @Option(
      names = "--api-key",
      paramLabel = "KEY",
      defaultValue = "${env:HERALD_API_KEY}",
      description =
          "An API key sent as X-Api-Key, for backends (default: $HERALD_API_KEY; prefer the "
              + "variable).")
  private String apiKey;

  /** Options for picocli to fill in. */
  public CredentialsOptions() {}

  /** The token, or {@code null} when neither the option nor the variable gives one. */
  public String token() {
    return token;
  }

  /** The API key, or {@code null} when neither the option nor the variable gives one. */
  public String apiKey() {
    return apiKey;
  }
}
