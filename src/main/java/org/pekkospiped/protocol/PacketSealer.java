package org.pekkospiped.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * Seals plaintext into 1060-byte packets for one direction of a connection, numbering them from 0.
 * Not thread-safe: one sealer belongs to one stream of packets.
 */
public final class PacketSealer {

  private final PacketCrypto crypto;
  private long packetNumber;

  PacketSealer(byte[] cipherKey, byte[] macKey) {
    this.crypto = new PacketCrypto(cipherKey, macKey);
  }

  /**
   * Seals payload[off, off+len), 1 to 1024 bytes, as the next packet at out[outOff, outOff+1060).
   * payload and out may be the same array.
   */
  public void seal(byte[] payload, int off, int len, byte[] out, int outOff) {
    if (len < 1 || len > Wire.MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          "payload length " + len + " (expected: 1 .. " + Wire.MAX_PAYLOAD + ")");
    }
    Objects.checkFromIndexSize(off, len, payload.length);
    Objects.checkFromIndexSize(outOff, Wire.PACKET_SIZE, out.length);

    // padded = M || zeros up to 1024 || uint32(len(M)), built where the ciphertext goes.
    System.arraycopy(payload, off, out, outOff, len);
    Arrays.fill(out, outOff + len, outOff + Wire.MAX_PAYLOAD, (byte) 0);
    PacketCrypto.writeUint32(len, out, outOff + Wire.MAX_PAYLOAD);

    crypto.crypt(packetNumber, out, outOff, out, outOff);

    crypto.mac(out, outOff, packetNumber, out, outOff + Wire.PADDED_SIZE);

    packetNumber++;
  }

  /** How many packets this sealer has sealed: the number the next packet will carry. */
  public long packetCount() {
    return packetNumber;
  }
}
