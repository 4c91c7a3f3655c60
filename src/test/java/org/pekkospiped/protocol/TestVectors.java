package org.pekkospiped.protocol;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * The known answers in src/test/resources/spiped-test-vectors.json (a copy of
 * /work/shared/spiped-test-vectors.json, beside PROTOCOL.md). Source: the project's shared
 * known-answer file, whose values were checked against a real spiped 1.6.2 (PROTOCOL.md); the
 * nonces and exponents in it are the counting bytes 0x00, 0x01, ... so any run can repeat them.
 *
 * <p>The file is flat JSON of hex strings, which Typesafe Config parses without extra dependencies;
 * a path such as {@code "weak_handshake.yh_C"} names a nested value.
 */
final class TestVectors {

  private static final Config VECTORS = ConfigFactory.parseResources("spiped-test-vectors.json");
  private static final HexFormat HEX = HexFormat.of();

  private TestVectors() {}

  static String string(String path) {
    return VECTORS.getString(path);
  }

  /** The value as lower-case hex, for comparisons that print readably when they fail. */
  static String hexOf(String path) {
    return string(path).toLowerCase();
  }

  static byte[] bytes(String path) {
    return HEX.parseHex(string(path));
  }

  static BigInteger number(String path) {
    return new BigInteger(string(path), 16);
  }

  static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  static byte[] keyFileContents() {
    return string("key_file_contents_utf8").getBytes(StandardCharsets.UTF_8);
  }

  static ProtocolKey key() {
    return ProtocolKey.ofFileContents(keyFileContents());
  }
}
