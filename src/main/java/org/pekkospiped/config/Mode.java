package org.pekkospiped.config;

/** Which side of the protocol a pipe plays. */
public enum Mode {
  /**
   * spiped {@code -e}: take plaintext connections on the source and carry them encrypted to the
   * target, as the protocol client.
   */
  ENCRYPT,

  /**
   * spiped {@code -d}: take encrypted connections on the source, as the protocol server, and carry
   * them as plaintext to the target.
   */
  DECRYPT
}
