package io.herald.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Supplier;

/**
 * The invariants every fuzz test of this module checks on a refusal: bad input fails only with the
 * documented {@link ProtocolException} and one of its documented codes, and the message is one
 * printable line (it ends up in JSON bodies, error frames and logs). Anything else thrown is a
 * finding and propagates to Jazzer.
 */
final class FuzzChecks {
  private FuzzChecks() {}

  /**
   * Runs {@code parse}: its result, or {@code null} when it refused the input with one of {@code
   * allowed}.
   *
   * @throws AssertionError when it refused with another code or an unprintable message
   */
  static <T> T parsedOrRefused(Supplier<T> parse, ErrorCode... allowed) {
    try {
      return parse.get();
    } catch (ProtocolException e) {
      assertThat(e.code()).as("error code of: %s", e.getMessage()).isIn((Object[]) allowed);
      assertPrintableLine(e.getMessage());
      return null;
    }
  }

  /** Fails unless {@code message} is non-empty and holds no control character. */
  static void assertPrintableLine(String message) {
    assertThat(message).isNotBlank();
    assertThat(message.chars().filter(c -> c < 0x20 || c == 0x7f).toArray())
        .as("control characters in error message: %s", message)
        .isEmpty();
  }
}
