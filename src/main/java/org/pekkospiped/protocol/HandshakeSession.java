package org.pekkospiped.protocol;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One side's handshake computations (PROTOCOL.md, "Handshake"), in protocol order and with no I/O:
 * the caller moves the bytes and decides what a failure does to the connection.
 *
 * <pre>
 *   client                                   server
 *   localNonce()             nonce_C  -->
 *                            &lt;--  nonce_S    localNonce()
 *   receivePeerNonce                         receivePeerNonce
 *   generateDhValue (may come first)
 *   localDhMessage()         yh_C     -->
 *                                            receivePeerDhMessage  (verifies the client)
 *                                            generateDhValue       (only now)
 *                            &lt;--  yh_S       localDhMessage()
 *   receivePeerDhMessage
 *   finish()                                 finish()
 * </pre>
 *
 * <p>Not thread-safe. The costly methods ({@link #generateDhValue()}, {@link #finish()}) may run on
 * another thread than the rest, provided calls never overlap and each hand-off is a happens-before
 * edge (an executor and the callback that reports back give one).
 */
public final class HandshakeSession {

  private static final int DHMAC_SIZE = 32;

  private final boolean client;
  private final List<ProtocolKey> candidateKeys;
  private final ForwardSecrecy forwardSecrecy;
  private final SecureRandom random;
  private final byte[] localNonce;

  private byte[] peerNonce;

  /** For each candidate key, dhmac_C || dhmac_S. */
  private byte[][] dhmacs;

  /** The candidate the client holds: 0 on the client; on the server, the one that verified. */
  private int keyIndex;

  private byte[] localDhValue;

  /** Our secret exponent x; null without forward secrecy, and cleared by finish. */
  private BigInteger exponent;

  private BigInteger peerDhValue;
  private boolean failed;
  private boolean finished;

  private HandshakeSession(
      boolean client,
      List<ProtocolKey> candidateKeys,
      ForwardSecrecy forwardSecrecy,
      SecureRandom random,
      byte[] localNonce) {
    this.client = client;
    this.candidateKeys = candidateKeys;
    this.forwardSecrecy = Objects.requireNonNull(forwardSecrecy, "forwardSecrecy");
    this.random = Objects.requireNonNull(random, "random");
    this.localNonce = checkNonce(localNonce).clone();
    this.keyIndex = client ? 0 : -1;
  }

  /** The client (encrypting end) side, holding one key. */
  public static HandshakeSession client(
      ProtocolKey key, ForwardSecrecy forwardSecrecy, SecureRandom random) {
    return client(key, forwardSecrecy, random, randomNonce(random));
  }

  /**
   * The server (decrypting end) side. It accepts a client holding any of keys, which allows key
   * rotation: the MAC on the client's DH value tells which key the client holds.
   */
  public static HandshakeSession server(
      List<ProtocolKey> keys, ForwardSecrecy forwardSecrecy, SecureRandom random) {
    return server(keys, forwardSecrecy, random, randomNonce(random));
  }

  /** As the public factory, with a chosen nonce for known-answer tests. */
  static HandshakeSession client(
      ProtocolKey key, ForwardSecrecy forwardSecrecy, SecureRandom random, byte[] nonce) {
    List<ProtocolKey> keys = List.of(Objects.requireNonNull(key, "key"));
    return new HandshakeSession(true, keys, forwardSecrecy, random, nonce);
  }

  /** As the public factory, with a chosen nonce for known-answer tests. */
  static HandshakeSession server(
      List<ProtocolKey> keys, ForwardSecrecy forwardSecrecy, SecureRandom random, byte[] nonce) {
    List<ProtocolKey> candidates = List.copyOf(keys);
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("server needs at least one key");
    }
    return new HandshakeSession(false, candidates, forwardSecrecy, random, nonce);
  }

  /**
   * Builds what handshakes with this setting compute from, ahead of the first connection: with
   * forward secrecy, the table of the generator's powers (about 0.1 s in a cold JVM), which the
   * first handshakes would otherwise wait for. Safe to call from any thread, any number of times.
   */
  public static void prepare(ForwardSecrecy forwardSecrecy) {
    if (forwardSecrecy != ForwardSecrecy.OFF) {
      DhGroup14.prepare();
    }
  }

  /** True for the client (encrypting end), false for the server. */
  public boolean isClient() {
    return client;
  }

  /**
   * True unless forward secrecy is OFF: only then does some step exponentiate, and so only then
   * is a step worth running away from the caller's thread.
   */
  public boolean exponentiates() {
    return forwardSecrecy != ForwardSecrecy.OFF;
  }

  /** The 32 random bytes this side sends first (step 1). */
  public byte[] localNonce() {
    return localNonce.clone();
  }

  /**
   * Takes the peer's nonce and computes dhmac_C || dhmac_S = PBKDF2(K, nonce_C || nonce_S, 64)
   * (step 2), on the server once for each candidate key.
   */
  public void receivePeerNonce(byte[] nonce) {
    checkState(peerNonce == null, "peer nonce already received");
    peerNonce = checkNonce(nonce).clone();

    byte[] salt = Primitives.concat(clientNonce(), serverNonce());
    dhmacs = new byte[candidateKeys.size()][];
    for (int i = 0; i < dhmacs.length; i++) {
      dhmacs[i] = Primitives.pbkdf2Sha256(candidateKeys.get(i).digest(), salt, 2 * DHMAC_SIZE);
    }
  }

  /**
   * Picks this side's DH value: y = 2^x mod p with x = 2^258 + r, r of 256 random bits; or y = 1
   * with no exponentiation when forward secrecy is OFF. Costly unless OFF. The client may call this
   * before {@link #receivePeerNonce} to overlap it with the network; the server only after {@link
   * #receivePeerDhMessage} has verified the client, so that an unauthenticated peer cannot make it
   * exponentiate.
   */
  public void generateDhValue() {
    checkCanGenerate();

    if (forwardSecrecy == ForwardSecrecy.OFF) {
      localDhValue = DhGroup14.one();
    } else {
      useExponent(DhGroup14.randomExponent(random));
    }
  }

  /** As {@link #generateDhValue()}, with a chosen exponent x for known-answer tests. */
  void generateDhValue(BigInteger chosenExponent) {
    checkCanGenerate();
    checkState(forwardSecrecy != ForwardSecrecy.OFF, "no exponent without forward secrecy");

    useExponent(chosenExponent);
  }

  /** y || HMAC-SHA256(dhmac_local, y), 288 bytes (steps 3 and 4). */
  public byte[] localDhMessage() {
    checkState(localDhValue != null, "DH value not generated yet");
    checkState(dhmacs != null, "peer nonce not received yet");

    byte[] tag = Primitives.hmacSha256(localDhmac(), localDhValue);
    return Primitives.concat(localDhValue, tag);
  }

  /**
   * Checks the peer's y || MAC (steps 4 and 5): the MAC in constant time (on the server against
   * every key, keeping the one that verifies), then y &lt; p, then y != 1 when forward secrecy is
   * REQUIRED. Does no exponentiation.
   *
   * @throws HandshakeException with BAD_MAC, BAD_DH_VALUE or WEAK_PEER_REFUSED
   */
  public void receivePeerDhMessage(byte[] message) throws HandshakeException {
    checkState(!failed, "handshake already failed");
    checkState(dhmacs != null, "peer nonce not received yet");
    checkState(peerDhValue == null, "peer DH value already received");
    if (message.length != Wire.DH_MESSAGE_SIZE) {
      throw new IllegalArgumentException(
          "DH message length " + message.length + " (expected: " + Wire.DH_MESSAGE_SIZE + ")");
    }

    int verified = verifiedKeyIndex(message);
    if (verified < 0) {
      throw failure(HandshakeFailure.BAD_MAC);
    }

    BigInteger y = DhGroup14.fromWire(message, 0);
    if (!DhGroup14.isBelowPrime(y)) {
      throw failure(HandshakeFailure.BAD_DH_VALUE);
    }
    if (forwardSecrecy == ForwardSecrecy.REQUIRED && DhGroup14.isOne(y)) {
      throw failure(HandshakeFailure.WEAK_PEER_REFUSED);
    }

    keyIndex = verified;
    peerDhValue = y;
  }

  /**
   * Which of the server's keys the peer proved it holds, as an index into the list the server was
   * made with (0 on the client). Lets the caller see who still uses an old key.
   */
  public int peerKeyIndex() {
    checkState(peerDhValue != null, "peer not verified yet");
    return keyIndex;
  }

  /**
   * Derives the session keys (steps 6 and 7): y_SC = y_peer^x mod p, or 1 when this side skipped
   * DH; then E_C || H_C || E_S || H_S = PBKDF2(K, nonce_C || nonce_S || y_SC, 128). Costly unless
   * forward secrecy is OFF. Forgets the secret exponent.
   */
  public SessionKeys finish() {
    checkState(!finished, "handshake already finished");
    checkState(localDhValue != null, "DH value not generated yet");
    checkState(peerDhValue != null, "peer DH value not verified yet");

    byte[] shared =
        exponent == null
            ? DhGroup14.one()
            : DhGroup14.toWire(DhGroup14.sharedValue(peerDhValue, exponent));
    exponent = null;
    finished = true;

    byte[] salt = Primitives.concat(clientNonce(), serverNonce(), shared);
    byte[] derived = Primitives.pbkdf2Sha256(key().digest(), salt, SessionKeys.DERIVED_SIZE);
    try {
      return new SessionKeys(derived, client);
    } finally {
      Arrays.fill(derived, (byte) 0);
    }
  }

  /** A failed session stays failed: a second try at the peer's message would be an oracle. */
  private HandshakeException failure(HandshakeFailure reason) {
    failed = true;
    return new HandshakeException(reason);
  }

  private void checkCanGenerate() {
    checkState(localDhValue == null, "DH value already generated");
    // Step 4: exponentiating before the client proved the key would be free CPU for anyone.
    checkState(client || peerDhValue != null, "server DH value before the client is verified");
  }

  private void useExponent(BigInteger x) {
    exponent = x;
    localDhValue = DhGroup14.toWire(DhGroup14.publicValue(x));
  }

  /**
   * Index of the candidate key whose dhmac_peer authenticates y, or -1. Every candidate is checked
   * even after a match, so the time taken does not depend on which key matched.
   */
  private int verifiedKeyIndex(byte[] message) {
    byte[] y = Arrays.copyOfRange(message, 0, Wire.DH_VALUE_SIZE);
    byte[] receivedTag = Arrays.copyOfRange(message, Wire.DH_VALUE_SIZE, Wire.DH_MESSAGE_SIZE);

    int verified = -1;
    for (int i = 0; i < dhmacs.length; i++) {
      byte[] expectedTag = Primitives.hmacSha256(peerDhmac(i), y);
      if (MessageDigest.isEqual(expectedTag, receivedTag) && verified < 0) {
        verified = i;
      }
    }
    return verified;
  }

  private ProtocolKey key() {
    return candidateKeys.get(keyIndex);
  }

  private byte[] localDhmac() {
    return dhmacHalf(keyIndex, client);
  }

  private byte[] peerDhmac(int candidate) {
    return dhmacHalf(candidate, !client);
  }

  private byte[] dhmacHalf(int candidate, boolean clientHalf) {
    int from = clientHalf ? 0 : DHMAC_SIZE;
    return Arrays.copyOfRange(dhmacs[candidate], from, from + DHMAC_SIZE);
  }

  private byte[] clientNonce() {
    return client ? localNonce : peerNonce;
  }

  private byte[] serverNonce() {
    return client ? peerNonce : localNonce;
  }

  private static byte[] randomNonce(SecureRandom random) {
    byte[] nonce = new byte[Wire.NONCE_SIZE];
    random.nextBytes(nonce);
    return nonce;
  }

  private static byte[] checkNonce(byte[] nonce) {
    if (nonce.length != Wire.NONCE_SIZE) {
      throw new IllegalArgumentException(
          "nonce length " + nonce.length + " (expected: " + Wire.NONCE_SIZE + ")");
    }
    return nonce;
  }

  private static void checkState(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }
}
