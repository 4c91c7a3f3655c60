package org.pekkospiped.protocol;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256-CTR and HMAC-SHA256 of one packet direction. One Cipher and one Mac live as long as
 * the direction; each packet only re-initialises the cipher with its own counter block.
 */
final class PacketCrypto {

  private static final int BLOCK_SIZE = 16;
  private static final int PACKET_NUMBER_SIZE = 8;

  private final SecretKeySpec cipherKey;
  private final Cipher aesCtr = Primitives.newAesCtr();
  private final Mac hmac;
  private final byte[] counterBlock = new byte[BLOCK_SIZE];
  private final byte[] packetNumberBytes = new byte[PACKET_NUMBER_SIZE];

  PacketCrypto(byte[] cipherKey, byte[] macKey) {
    this.cipherKey = new SecretKeySpec(cipherKey, "AES");
    this.hmac = Primitives.newHmacSha256(macKey);
  }

  /**
   * Runs AES-256-CTR over the padded part of packet number pnum. The counter block starts as
   * uint64(pnum) || uint64(0); the same call encrypts and decrypts. in and out may be the same
   * bytes.
   */
  void crypt(long packetNumber, byte[] in, int inOff, byte[] out, int outOff) {
    writeUint64(packetNumber, counterBlock, 0);
    try {
      aesCtr.init(Cipher.ENCRYPT_MODE, cipherKey, new IvParameterSpec(counterBlock));
      aesCtr.doFinal(in, inOff, Wire.PADDED_SIZE, out, outOff);
    } catch (GeneralSecurityException e) {
      // Key, counter block and sizes are fixed by construction: this is a broken invariant.
      throw new IllegalStateException("AES-CTR failed on a well-formed packet", e);
    }
  }

  /** Writes HMAC-SHA256(H, ct || uint64(pnum)) for the ciphertext at ct[off] to tag[tagOff]. */
  void mac(byte[] ct, int off, long packetNumber, byte[] tag, int tagOff) {
    writeUint64(packetNumber, packetNumberBytes, 0);
    hmac.update(ct, off, Wire.PADDED_SIZE);
    hmac.update(packetNumberBytes);
    try {
      hmac.doFinal(tag, tagOff);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC output did not fit its buffer", e);
    }
  }

  static void writeUint64(long value, byte[] to, int off) {
    for (int i = 7; i >= 0; i--) {
      to[off + i] = (byte) value;
      value >>>= 8;
    }
  }

  static void writeUint32(int value, byte[] to, int off) {
    to[off] = (byte) (value >>> 24);
    to[off + 1] = (byte) (value >>> 16);
    to[off + 2] = (byte) (value >>> 8);
    to[off + 3] = (byte) value;
  }

  static int readUint32(byte[] from, int off) {
    return (from[off] & 0xff) << 24
        | (from[off + 1] & 0xff) << 16
        | (from[off + 2] & 0xff) << 8
        | (from[off + 3] & 0xff);
  }
}
