package org.pekkospiped.protocol;

import java.util.Arrays;

/**
 * The four keys of one connection, E_C || H_C || E_S || H_S, oriented for one side: the client
 * seals with (E_C, H_C) and opens with (E_S, H_S), the server the other way round.
 */
public final class SessionKeys {

  private static final int KEY_SIZE = 32;

  /** Bytes PBKDF2 must produce: four 32-byte keys. */
  static final int DERIVED_SIZE = 4 * KEY_SIZE;

  private final byte[] clientCipherKey;
  private final byte[] clientMacKey;
  private final byte[] serverCipherKey;
  private final byte[] serverMacKey;
  private final boolean client;

  SessionKeys(byte[] derived, boolean client) {
    if (derived.length != DERIVED_SIZE) {
      throw new IllegalArgumentException(
          "derived key length " + derived.length + " (expected: " + DERIVED_SIZE + ")");
    }
    this.clientCipherKey = Arrays.copyOfRange(derived, 0, KEY_SIZE);
    this.clientMacKey = Arrays.copyOfRange(derived, KEY_SIZE, 2 * KEY_SIZE);
    this.serverCipherKey = Arrays.copyOfRange(derived, 2 * KEY_SIZE, 3 * KEY_SIZE);
    this.serverMacKey = Arrays.copyOfRange(derived, 3 * KEY_SIZE, 4 * KEY_SIZE);
    this.client = client;
  }

  /** A new sealer for what this side sends, numbering packets from 0. */
  public PacketSealer sealer() {
    return client
        ? new PacketSealer(clientCipherKey, clientMacKey)
        : new PacketSealer(serverCipherKey, serverMacKey);
  }

  /** A new opener for what this side receives, expecting packet numbers from 0. */
  public PacketOpener opener() {
    return client
        ? new PacketOpener(serverCipherKey, serverMacKey)
        : new PacketOpener(clientCipherKey, clientMacKey);
  }

  /** True for the client (encrypting end), false for the server. */
  public boolean isClient() {
    return client;
  }

  @Override
  public String toString() {
    return "SessionKeys[" + (client ? "client" : "server") + ", redacted]";
  }

  /** E_C, for known-answer tests. */
  byte[] clientCipherKey() {
    return clientCipherKey.clone();
  }

  /** H_C, for known-answer tests. */
  byte[] clientMacKey() {
    return clientMacKey.clone();
  }

  /** E_S, for known-answer tests. */
  byte[] serverCipherKey() {
    return serverCipherKey.clone();
  }

  /** H_S, for known-answer tests. */
  byte[] serverMacKey() {
    return serverMacKey.clone();
  }
}
