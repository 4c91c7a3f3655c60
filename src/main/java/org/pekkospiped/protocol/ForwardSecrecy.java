package org.pekkospiped.protocol;

/** How a side uses the Diffie-Hellman exchange that gives a connection forward secrecy. */
public enum ForwardSecrecy {
  /** Do the exchange and accept a peer that skips it (spiped's default). */
  ON,

  /**
   * Skip the exchange: send y = 1 and never exponentiate (spiped -f). Session keys then depend on
   * the shared key and the nonces only, so a stolen key file decrypts recorded traffic.
   */
  OFF,

  /** Do the exchange and drop a peer that sends y = 1 (spiped -g). */
  REQUIRED
}
