package org.pekkospiped.protocol;

/** Why a handshake failed; also a stable label for logs and metrics. */
public enum HandshakeFailure {
  /** The peer's DH value did not carry a valid MAC: it does not hold our key. */
  BAD_MAC,

  /** The peer's DH value is not below the group prime. */
  BAD_DH_VALUE,

  /** Forward secrecy is required and the peer skipped Diffie-Hellman (sent y = 1). */
  WEAK_PEER_REFUSED,

  /** The handshake did not finish within the connection timeout. */
  TIMEOUT,

  /** The peer closed the connection before the handshake finished. */
  PEER_CLOSED
}
