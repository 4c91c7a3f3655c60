package org.pekkospiped.protocol;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds packets straight from the spec with plain JCA calls, independently of PacketSealer: a
 * cross-check for the sealer, and the only way to make an authentic packet whose length field is
 * out of range.
 */
final class ReferencePackets {

  private ReferencePackets() {}

  /** A packet carrying payload, with the given value in its uint32 length field. */
  static byte[] packet(
      byte[] cipherKey, byte[] macKey, long packetNumber, byte[] payload, int lengthField)
      throws GeneralSecurityException {
    ByteBuffer padded = ByteBuffer.allocate(Wire.PADDED_SIZE);
    padded.put(payload).position(Wire.MAX_PAYLOAD).putInt(lengthField);

    byte[] counterBlock = ByteBuffer.allocate(16).putLong(packetNumber).putLong(0).array();
    Cipher aes = Cipher.getInstance("AES/CTR/NoPadding");
    aes.init(
        Cipher.ENCRYPT_MODE,
        new SecretKeySpec(cipherKey, "AES"),
        new IvParameterSpec(counterBlock));
    byte[] ciphertext = aes.doFinal(padded.array());

    Mac hmac = Mac.getInstance("HmacSHA256");
    hmac.init(new SecretKeySpec(macKey, "HmacSHA256"));
    hmac.update(ciphertext);
    hmac.update(ByteBuffer.allocate(8).putLong(packetNumber).array());

    return ByteBuffer.allocate(Wire.PACKET_SIZE).put(ciphertext).put(hmac.doFinal()).array();
  }

  /** A well-formed packet as the client of keys would send it. */
  static byte[] clientPacket(SessionKeys keys, long packetNumber, byte[] payload)
      throws GeneralSecurityException {
    return packet(
        keys.clientCipherKey(), keys.clientMacKey(), packetNumber, payload, payload.length);
  }
}
