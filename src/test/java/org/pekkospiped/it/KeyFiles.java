package org.pekkospiped.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Key files for spiped's {@code -k}: any bytes; spiped uses the SHA-256 of the whole file. */
public final class KeyFiles {

  /** The usual key size: 256 bits, as spiped's docs suggest. */
  public static final int USUAL_LENGTH = 32;

  private KeyFiles() {}

  /** Writes {@code bytes} to a new file in {@code dir} and returns its path. */
  public static Path write(Path dir, byte[] bytes) {
    try {
      Path key = Files.createTempFile(dir, "spiped-", ".key");
      Files.write(key, bytes);
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a key file in " + dir, e);
    }
  }

  /** A 32-byte key file whose content is determined by {@code seed}. */
  public static Path random(Path dir, long seed) {
    return write(dir, RandomBytes.of(seed, USUAL_LENGTH));
  }
}
