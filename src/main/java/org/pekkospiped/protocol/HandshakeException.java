package org.pekkospiped.protocol;

import java.security.GeneralSecurityException;
import java.util.Objects;

/** A handshake failed; {@link #reason()} says why. Nothing about it is ever sent to the peer. */
public final class HandshakeException extends GeneralSecurityException {

  private static final long serialVersionUID = 1L;

  private final HandshakeFailure reason;

  public HandshakeException(HandshakeFailure reason) {
    super("handshake failed: " + Objects.requireNonNull(reason, "reason"));
    this.reason = reason;
  }

  public HandshakeFailure reason() {
    return reason;
  }
}
