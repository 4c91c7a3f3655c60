package org.pekkospiped.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * The shared secret K = SHA-256(whole key file). spiped accepts a key file of any length and
 * content, even empty, so neither do we check it.
 *
 * <p>equals compares the digests in constant time; hashCode is derived from a second hash so it
 * reveals nothing usable about K; toString never shows key bytes.
 */
public final class ProtocolKey {

  /** The name under which spiped reads the key from standard input. */
  public static final String STDIN = "-";

  private static final byte[] HASH_CODE_LABEL =
      "pekko-spiped hashCode".getBytes(StandardCharsets.US_ASCII);

  private final byte[] digest;
  private final int hashCode;

  private ProtocolKey(byte[] digest) {
    this.digest = digest;
    this.hashCode = hashCodeOf(digest);
  }

  public static ProtocolKey ofFileContents(byte[] contents) {
    Objects.requireNonNull(contents, "contents");
    return new ProtocolKey(Primitives.newSha256().digest(contents));
  }

  /**
   * Reads and hashes the key file; {@code "-"} reads standard input to EOF.
   *
   * @throws IOException as the JDK reports it; the caller words it for the operator
   */
  public static ProtocolKey read(String fileName) throws IOException {
    return read(fileName, System.in);
  }

  /** As {@link #read(String)}, with the stream that {@code "-"} stands for. */
  static ProtocolKey read(String fileName, InputStream stdin) throws IOException {
    Objects.requireNonNull(fileName, "fileName");

    if (fileName.equals(STDIN)) {
      return hashing(stdin);
    }

    try (InputStream file = Files.newInputStream(Path.of(fileName))) {
      return hashing(file);
    }
  }

  /** The 32 bytes of K, which the handshake uses as the PBKDF2 password. Never copy it out. */
  byte[] digest() {
    return digest;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ProtocolKey
        && MessageDigest.isEqual(digest, ((ProtocolKey) other).digest);
  }

  @Override
  public int hashCode() {
    return hashCode;
  }

  @Override
  public String toString() {
    return "ProtocolKey[redacted]";
  }

  /** Streams the input through SHA-256 so a large key file is never held in memory. */
  private static ProtocolKey hashing(InputStream in) throws IOException {
    MessageDigest sha256 = Primitives.newSha256();
    byte[] buffer = new byte[8192];
    try {
      for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
        sha256.update(buffer, 0, n);
      }
    } finally {
      Arrays.fill(buffer, (byte) 0);
    }
    return new ProtocolKey(sha256.digest());
  }

  private static int hashCodeOf(byte[] digest) {
    MessageDigest sha256 = Primitives.newSha256();
    sha256.update(HASH_CODE_LABEL);
    return ByteBuffer.wrap(sha256.digest(digest)).getInt();
  }
}
