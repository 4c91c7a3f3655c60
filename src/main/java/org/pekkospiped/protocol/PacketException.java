package org.pekkospiped.protocol;

import java.security.GeneralSecurityException;

/**
 * A data packet failed authentication or carried a bad length. The message stays terse on purpose:
 * it names no bytes, offsets or values that could help an attacker.
 */
public final class PacketException extends GeneralSecurityException {

  private static final long serialVersionUID = 1L;

  public PacketException(String message) {
    super(message);
  }
}
