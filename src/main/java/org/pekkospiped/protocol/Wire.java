package org.pekkospiped.protocol;

/** Sizes of what goes over the wire, in bytes. */
public final class Wire {

  /** Each side's handshake nonce. */
  public static final int NONCE_SIZE = 32;

  /** A Diffie-Hellman value of the 2048-bit group 14, big-endian, zero-padded. */
  public static final int DH_VALUE_SIZE = 256;

  /** Every MAC in the protocol is an HMAC-SHA256 tag. */
  public static final int MAC_SIZE = 32;

  /** The DH value followed by its MAC: y || HMAC-SHA256(dhmac, y). */
  public static final int DH_MESSAGE_SIZE = DH_VALUE_SIZE + MAC_SIZE;

  /** Most plaintext bytes one packet carries. */
  public static final int MAX_PAYLOAD = 1024;

  /** The encrypted part of a packet: payload padded to 1024 bytes, then a uint32 length. */
  public static final int PADDED_SIZE = MAX_PAYLOAD + 4;

  /** A whole data packet: ciphertext followed by its MAC. */
  public static final int PACKET_SIZE = PADDED_SIZE + MAC_SIZE;

  private Wire() {}
}
