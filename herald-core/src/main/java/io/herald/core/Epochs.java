package io.herald.core;

import java.util.concurrent.ThreadLocalRandom;

/** Makes new epochs: 8 random characters of {@code a-z 0-9}. Thread-safe. */
public final class Epochs {
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  private Epochs() {}

  /** A new random epoch of 8 characters of {@code a-z 0-9} (about 2.8 trillion values). */
  public static String random() {
    char[] c = new char[8];
    ThreadLocalRandom r = ThreadLocalRandom.current();
    for (int i = 0; i < c.length; i++) {
      c[i] = ALPHABET[r.nextInt(ALPHABET.length)];
    }
    return new String(c);
  }
}
