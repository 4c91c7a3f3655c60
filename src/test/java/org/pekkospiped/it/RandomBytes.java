package org.pekkospiped.it;

import java.util.SplittableRandom;

/** Reproducible pseudo-random payloads: a failing test can be rerun with the same bytes. */
public final class RandomBytes {

  private RandomBytes() {}

  /** {@code length} bytes determined by {@code seed} alone. */
  public static byte[] of(long seed, int length) {
    byte[] bytes = new byte[length];
    new SplittableRandom(seed).nextBytes(bytes);
    return bytes;
  }

  /** A seed derived from a name (a test's name, say), stable across runs and machines. */
  public static long seedFor(String name) {
    long seed = 1125899906842597L;
    for (int i = 0; i < name.length(); i++) {
      seed = 31 * seed + name.charAt(i);
    }
    return seed;
  }
}
