package org.pekkospiped.protocol;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Test-only: handshake messages and packets that a holder of the key can make but no correct
 * client would send, for tests outside this package that play a hostile peer on a real socket.
 */
public final class ProtocolForgery {

  private static final int DHMAC_SIZE = 32;

  private ProtocolForgery() {}

  /** The group's prime p: the smallest DH value a server must refuse. */
  public static BigInteger prime() {
    return DhGroup14.PRIME;
  }

  /**
   * y || HMAC-SHA256(dhmac_C, y) for any y below 2^2048, with the MAC a client holding key would
   * compute for these nonces, so that only the value itself is wrong.
   */
  public static byte[] clientDhMessage(
      ProtocolKey key, byte[] clientNonce, byte[] serverNonce, BigInteger y) {
    byte[] dhmacs =
        Primitives.pbkdf2Sha256(
            key.digest(), Primitives.concat(clientNonce, serverNonce), 2 * DHMAC_SIZE);
    byte[] clientDhmac = Arrays.copyOf(dhmacs, DHMAC_SIZE);
    byte[] value = DhGroup14.toWire(y);
    return Primitives.concat(value, Primitives.hmacSha256(clientDhmac, value));
  }

  /**
   * An authentic client packet numbered packetNumber that carries payload but states lengthField
   * as its length: the MAC verifies, so only the length check can refuse it.
   */
  public static byte[] clientPacket(
      SessionKeys keys, long packetNumber, byte[] payload, int lengthField)
      throws GeneralSecurityException {
    return ReferencePackets.packet(
        keys.clientCipherKey(), keys.clientMacKey(), packetNumber, payload, lengthField);
  }
}
