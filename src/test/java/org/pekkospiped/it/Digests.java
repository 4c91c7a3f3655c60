package org.pekkospiped.it;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests in hex, so that large transfers are compared by digest, not byte by byte. */
public final class Digests {

  private Digests() {}

  public static String sha256(byte[] bytes) {
    Running digest = running();
    digest.update(bytes, 0, bytes.length);
    return digest.hex();
  }

  /** Digests a stream to its end without holding it in memory. */
  public static String sha256(InputStream in) throws IOException {
    Running digest = running();
    byte[] chunk = new byte[16 * 1024];
    for (int n; (n = in.read(chunk)) >= 0; ) {
      digest.update(chunk, 0, n);
    }
    return digest.hex();
  }

  public static Running running() {
    return new Running();
  }

  /** A digest being fed, with a count of the bytes fed so far. Not thread-safe. */
  public static final class Running {

    private final MessageDigest sha256;
    private long count;

    private Running() {
      try {
        sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
    }

    public void update(byte[] bytes, int offset, int length) {
      sha256.update(bytes, offset, length);
      count += length;
    }

    public long count() {
      return count;
    }

    /** The digest in lower-case hex; ends this digest. */
    public String hex() {
      return HexFormat.of().formatHex(sha256.digest());
    }
  }
}
