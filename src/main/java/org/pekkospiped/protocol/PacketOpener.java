package org.pekkospiped.protocol;

import java.security.MessageDigest;
import java.util.Objects;

/**
 * Opens the 1060-byte packets of one direction of a connection, expecting packet numbers 0, 1, 2
 * and so on; a replayed, dropped or reordered packet fails authentication because its number is
 * covered by the MAC. Not thread-safe: one opener belongs to one stream of packets.
 */
public final class PacketOpener {

  private final PacketCrypto crypto;
  private final byte[] expectedTag = new byte[Wire.MAC_SIZE];
  private final byte[] receivedTag = new byte[Wire.MAC_SIZE];

  /** Decrypted bytes stay here until the length is known good, so out never sees a bad packet. */
  private final byte[] padded = new byte[Wire.PADDED_SIZE];

  private long packetNumber;

  PacketOpener(byte[] cipherKey, byte[] macKey) {
    this.crypto = new PacketCrypto(cipherKey, macKey);
  }

  /**
   * Opens the packet at in[off, off+1060): verifies the MAC in constant time, then decrypts, then
   * rejects a payload length of 0 or over 1024. Writes the payload to out[outOff], which must have
   * room for 1024 bytes, and returns its length. Nothing is written to out when the packet is
   * rejected.
   *
   * @throws PacketException if the packet is not authentic or its length is out of range; the
   *     connection must then be dropped
   */
  public int open(byte[] in, int off, byte[] out, int outOff) throws PacketException {
    Objects.checkFromIndexSize(off, Wire.PACKET_SIZE, in.length);
    Objects.checkFromIndexSize(outOff, Wire.MAX_PAYLOAD, out.length);

    verifyMac(in, off);

    crypto.crypt(packetNumber, in, off, padded, 0);
    int length = PacketCrypto.readUint32(padded, Wire.MAX_PAYLOAD);
    // As a signed int, every length of 2^31 or more reads negative and is refused here too.
    if (length < 1 || length > Wire.MAX_PAYLOAD) {
      throw new PacketException("packet length invalid");
    }

    System.arraycopy(padded, 0, out, outOff, length);
    packetNumber++;
    return length;
  }

  /** How many packets this opener has accepted: the number the next packet must carry. */
  public long packetCount() {
    return packetNumber;
  }

  private void verifyMac(byte[] in, int off) throws PacketException {
    crypto.mac(in, off, packetNumber, expectedTag, 0);
    System.arraycopy(in, off + Wire.PADDED_SIZE, receivedTag, 0, Wire.MAC_SIZE);
    if (!MessageDigest.isEqual(expectedTag, receivedTag)) {
      throw new PacketException("packet authentication failed");
    }
  }
}
