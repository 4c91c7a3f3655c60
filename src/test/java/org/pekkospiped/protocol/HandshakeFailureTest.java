package org.pekkospiped.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.pekkospiped.protocol.TestVectors.bytes;
import static org.pekkospiped.protocol.TestVectors.hex;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Handshakes that must fail, the order the session enforces, and key rotation. */
class HandshakeFailureTest {

  private static final SecureRandom RANDOM = new SecureRandom();

  private static final ProtocolKey NEW_KEY = keyOf("new key");
  private static final ProtocolKey OLD_KEY = keyOf("old key");
  private static final ProtocolKey OTHER_KEY = keyOf("someone else's key");

  @Test
  void server_flippedBitInClientDhMessage_badMac() {
    byte[] valid = clientDhMessageWithValidMac(BigInteger.ONE);

    for (int bit : new int[] {0, 7, 255 * 8, Wire.DH_VALUE_SIZE * 8, 287 * 8 + 7}) {
      byte[] flipped = valid.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));

      assertFailure(HandshakeFailure.BAD_MAC, vectorServer(ForwardSecrecy.ON), flipped);
    }
  }

  @Test
  void server_clientValueEqualToPrime_badDhValue() {
    byte[] message = clientDhMessageWithValidMac(DhGroup14.PRIME);

    assertFailure(HandshakeFailure.BAD_DH_VALUE, vectorServer(ForwardSecrecy.ON), message);
  }

  @Test
  void server_clientValueAbovePrime_badDhValue() {
    BigInteger largest = BigInteger.ONE.shiftLeft(2048).subtract(BigInteger.ONE);

    for (BigInteger y : List.of(DhGroup14.PRIME.add(BigInteger.ONE), largest)) {
      byte[] message = clientDhMessageWithValidMac(y);

      assertFailure(HandshakeFailure.BAD_DH_VALUE, vectorServer(ForwardSecrecy.ON), message);
    }
  }

  @Test
  void server_weakClientWhenRequired_refused() {
    byte[] message = clientDhMessageWithValidMac(BigInteger.ONE);

    assertFailure(
        HandshakeFailure.WEAK_PEER_REFUSED, vectorServer(ForwardSecrecy.REQUIRED), message);
  }

  @Test
  void client_weakServerWhenRequired_refused() throws Exception {
    HandshakeSession client = HandshakeSession.client(NEW_KEY, ForwardSecrecy.REQUIRED, RANDOM);
    HandshakeSession server = HandshakeSession.server(List.of(NEW_KEY), ForwardSecrecy.OFF, RANDOM);
    exchangeNonces(client, server);
    client.generateDhValue();
    server.receivePeerDhMessage(client.localDhMessage());
    server.generateDhValue();

    assertFailure(HandshakeFailure.WEAK_PEER_REFUSED, client, server.localDhMessage());
  }

  @Test
  void handshake_weakPeerWhenOn_acceptedWithSameKeys() throws Exception {
    // spiped's default interoperates with a peer running -f; the shared value is then 1.
    HandshakeSession client = HandshakeSession.client(NEW_KEY, ForwardSecrecy.OFF, RANDOM);
    HandshakeSession server = HandshakeSession.server(List.of(NEW_KEY), ForwardSecrecy.ON, RANDOM);

    assertSameKeys(runHandshake(client, server));
  }

  @Test
  void handshake_randomPfsOnBothSides_sameKeys() throws Exception {
    HandshakeSession client = HandshakeSession.client(NEW_KEY, ForwardSecrecy.REQUIRED, RANDOM);
    HandshakeSession server =
        HandshakeSession.server(List.of(NEW_KEY), ForwardSecrecy.REQUIRED, RANDOM);

    assertSameKeys(runHandshake(client, server));
  }

  @Test
  void server_rotatingKeys_acceptsClientWithNewKey() throws Exception {
    HandshakeSession client = HandshakeSession.client(NEW_KEY, ForwardSecrecy.ON, RANDOM);
    HandshakeSession server = rotatingServer();

    SessionKeys[] keys = runHandshake(client, server);

    assertSameKeys(keys);
    assertEquals(0, server.peerKeyIndex());
  }

  @Test
  void server_rotatingKeys_acceptsClientWithOldKey() throws Exception {
    HandshakeSession client = HandshakeSession.client(OLD_KEY, ForwardSecrecy.ON, RANDOM);
    HandshakeSession server = rotatingServer();

    SessionKeys[] keys = runHandshake(client, server);

    assertSameKeys(keys);
    assertEquals(1, server.peerKeyIndex());
  }

  @Test
  void server_rotatingKeys_refusesClientWithThirdKey() {
    HandshakeSession client = HandshakeSession.client(OTHER_KEY, ForwardSecrecy.ON, RANDOM);
    HandshakeSession server = rotatingServer();
    exchangeNonces(client, server);
    client.generateDhValue();

    assertFailure(HandshakeFailure.BAD_MAC, server, client.localDhMessage());
  }

  @Test
  void server_generateBeforeClientVerified_illegalState() {
    HandshakeSession server = vectorServer(ForwardSecrecy.ON);

    assertThrows(IllegalStateException.class, server::generateDhValue);
  }

  @Test
  void server_afterFailedVerification_staysFailed() {
    HandshakeSession server = vectorServer(ForwardSecrecy.ON);
    byte[] forged = new byte[Wire.DH_MESSAGE_SIZE];
    assertFailure(HandshakeFailure.BAD_MAC, server, forged);

    assertThrows(IllegalStateException.class, server::generateDhValue);
    assertThrows(
        IllegalStateException.class,
        () -> server.receivePeerDhMessage(clientDhMessageWithValidMac(BigInteger.TWO)));
  }

  @Test
  void client_generateBeforePeerNonce_allowedButMessageWaitsForNonce() {
    HandshakeSession client = HandshakeSession.client(NEW_KEY, ForwardSecrecy.ON, RANDOM);

    client.generateDhValue();

    assertThrows(IllegalStateException.class, client::localDhMessage);
  }

  @Test
  void session_outOfOrderCalls_illegalState() throws Exception {
    HandshakeSession client = HandshakeSession.client(NEW_KEY, ForwardSecrecy.OFF, RANDOM);
    HandshakeSession server = HandshakeSession.server(List.of(NEW_KEY), ForwardSecrecy.OFF, RANDOM);

    assertThrows(IllegalStateException.class, () -> client.receivePeerDhMessage(new byte[288]));
    assertThrows(IllegalStateException.class, client::finish);
    exchangeNonces(client, server);
    assertThrows(IllegalStateException.class, () -> client.receivePeerNonce(new byte[32]));
    assertThrows(IllegalStateException.class, client::localDhMessage);
    client.generateDhValue();
    assertThrows(IllegalStateException.class, client::generateDhValue);
    server.receivePeerDhMessage(client.localDhMessage());
    assertThrows(IllegalStateException.class, server::localDhMessage);
    assertThrows(IllegalStateException.class, server::finish);
    server.generateDhValue();
    client.receivePeerDhMessage(server.localDhMessage());
    client.finish();
    assertThrows(IllegalStateException.class, client::finish);
  }

  @Test
  void session_wrongSizes_illegalArgument() {
    HandshakeSession client = HandshakeSession.client(NEW_KEY, ForwardSecrecy.OFF, RANDOM);

    assertThrows(IllegalArgumentException.class, () -> client.receivePeerNonce(new byte[31]));
    client.receivePeerNonce(new byte[32]);
    assertThrows(IllegalArgumentException.class, () -> client.receivePeerDhMessage(new byte[287]));
    assertThrows(
        IllegalArgumentException.class,
        () -> HandshakeSession.server(List.of(), ForwardSecrecy.ON, RANDOM));
  }

  @Test
  void localNonce_freshPerSessionAndDefensivelyCopied() {
    HandshakeSession first = HandshakeSession.client(NEW_KEY, ForwardSecrecy.ON, RANDOM);
    HandshakeSession second = HandshakeSession.client(NEW_KEY, ForwardSecrecy.ON, RANDOM);

    byte[] nonce = first.localNonce();
    nonce[0] ^= 1;

    assertEquals(Wire.NONCE_SIZE, nonce.length);
    assertEquals(hex(first.localNonce()), hex(first.localNonce()));
    assertThrows(AssertionError.class, () -> assertArrayEquals(nonce, first.localNonce()));
    assertThrows(
        AssertionError.class, () -> assertArrayEquals(first.localNonce(), second.localNonce()));
  }

  @Test
  void handshakeException_carriesReason() {
    HandshakeException e = new HandshakeException(HandshakeFailure.TIMEOUT);

    assertEquals(HandshakeFailure.TIMEOUT, e.reason());
    assertEquals("handshake failed: TIMEOUT", e.getMessage());
  }

  @Test
  void groupPrime_isThe2048BitSafePrime() {
    BigInteger q = DhGroup14.PRIME.shiftRight(1);

    assertEquals(2048, DhGroup14.PRIME.bitLength());
    assertEquals(true, DhGroup14.PRIME.isProbablePrime(20));
    assertEquals(true, q.isProbablePrime(20));
  }

  /** A server with the vectors' key and nonce that has received the vectors' client nonce. */
  private static HandshakeSession vectorServer(ForwardSecrecy forwardSecrecy) {
    HandshakeSession server =
        HandshakeSession.server(
            List.of(TestVectors.key()), forwardSecrecy, RANDOM, bytes("nonce_S"));
    server.receivePeerNonce(bytes("nonce_C"));
    return server;
  }

  /** y as 256 bytes with a MAC under the vectors' dhmac_C, to get past the MAC to the y checks. */
  private static byte[] clientDhMessageWithValidMac(BigInteger y) {
    byte[] value = DhGroup14.toWire(y);
    return Primitives.concat(value, Primitives.hmacSha256(bytes("dhmac_C"), value));
  }

  private static HandshakeSession rotatingServer() {
    return HandshakeSession.server(List.of(NEW_KEY, OLD_KEY), ForwardSecrecy.ON, RANDOM);
  }

  private static void exchangeNonces(HandshakeSession client, HandshakeSession server) {
    client.receivePeerNonce(server.localNonce());
    server.receivePeerNonce(client.localNonce());
  }

  private static SessionKeys[] runHandshake(HandshakeSession client, HandshakeSession server)
      throws HandshakeException {
    exchangeNonces(client, server);
    client.generateDhValue();
    server.receivePeerDhMessage(client.localDhMessage());
    server.generateDhValue();
    client.receivePeerDhMessage(server.localDhMessage());
    return new SessionKeys[] {client.finish(), server.finish()};
  }

  private static void assertSameKeys(SessionKeys[] clientThenServer) throws Exception {
    SessionKeys client = clientThenServer[0];
    SessionKeys server = clientThenServer[1];
    assertEquals(hex(client.clientCipherKey()), hex(server.clientCipherKey()), "E_C");
    assertEquals(hex(client.clientMacKey()), hex(server.clientMacKey()), "H_C");
    assertEquals(hex(client.serverCipherKey()), hex(server.serverCipherKey()), "E_S");
    assertEquals(hex(client.serverMacKey()), hex(server.serverMacKey()), "H_S");

    byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
    byte[] pong = "pong".getBytes(StandardCharsets.US_ASCII);
    assertArrayEquals(
        ping, KnownAnswerTest.open(server.opener(), KnownAnswerTest.seal(client.sealer(), ping)));
    assertArrayEquals(
        pong, KnownAnswerTest.open(client.opener(), KnownAnswerTest.seal(server.sealer(), pong)));
  }

  private static void assertFailure(
      HandshakeFailure expected, HandshakeSession session, byte[] peerDhMessage) {
    HandshakeException e =
        assertThrows(HandshakeException.class, () -> session.receivePeerDhMessage(peerDhMessage));
    assertEquals(expected, e.reason());
  }

  private static ProtocolKey keyOf(String contents) {
    return ProtocolKey.ofFileContents(contents.getBytes(StandardCharsets.UTF_8));
  }
}
