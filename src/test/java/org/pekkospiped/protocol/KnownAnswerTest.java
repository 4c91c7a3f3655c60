package org.pekkospiped.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.pekkospiped.protocol.TestVectors.bytes;
import static org.pekkospiped.protocol.TestVectors.hex;
import static org.pekkospiped.protocol.TestVectors.hexOf;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every value in spiped-test-vectors.json (checked against spiped 1.6.2, see {@link TestVectors}),
 * reproduced by a client and a server session talking to each other with the vectors' nonces and
 * exponents.
 */
class KnownAnswerTest {

  private static final String WEAK = "weak_handshake.";
  private static final String PFS = "pfs_handshake.";

  @Test
  void keyFile_hashesToK() {
    ProtocolKey key = TestVectors.key();

    assertEquals(hexOf("K"), hex(key.digest()));
  }

  @Test
  void pbkdf2OfNonces_givesDhmacs() {
    byte[] salt = Primitives.concat(bytes("nonce_C"), bytes("nonce_S"));

    byte[] dhmacs = Primitives.pbkdf2Sha256(bytes("K"), salt, 64);

    assertEquals(hexOf("dhmac_C") + hexOf("dhmac_S"), hex(dhmacs));
  }

  @Test
  void dhMessages_areMacedWithDhmacs() {
    // Ties the file's yh values to its dhmac values, so the handshake tests below also cover
    // dhmac_C and dhmac_S as the sessions compute them.
    for (String handshake : List.of(WEAK, PFS)) {
      assertMacedWith("dhmac_C", bytes(handshake + "yh_C"));
      assertMacedWith("dhmac_S", bytes(handshake + "yh_S"));
    }
  }

  @Test
  void weakHandshake_emitsVectorBytesAndKeys() throws Exception {
    Pair pair = Pair.withVectorNonces(ForwardSecrecy.OFF);

    pair.client.generateDhValue();
    Exchange exchange = pair.run(null);

    assertEquals(hexOf(WEAK + "yh_C"), hex(exchange.clientDhMessage));
    assertEquals(hexOf(WEAK + "yh_S"), hex(exchange.serverDhMessage));
    assertKeys(WEAK, exchange.clientKeys);
    assertKeys(WEAK, exchange.serverKeys);
  }

  @Test
  void weakHandshake_packetsMatchVectors() throws Exception {
    Exchange exchange = Pair.withVectorNonces(ForwardSecrecy.OFF).runWeak();
    PacketSealer clientSealer = exchange.clientKeys.sealer();
    PacketSealer serverSealer = exchange.serverKeys.sealer();
    byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
    byte[] fullOfA = new byte[Wire.MAX_PAYLOAD];
    Arrays.fill(fullOfA, (byte) 0x41);
    byte[] world = "world".getBytes(StandardCharsets.US_ASCII);

    assertEquals(hexOf(WEAK + "client_packet_0_for_hello"), hex(seal(clientSealer, hello)));
    assertEquals(hexOf(WEAK + "client_packet_1_for_1024_x41"), hex(seal(clientSealer, fullOfA)));
    assertEquals(hexOf(WEAK + "server_packet_0_for_world"), hex(seal(serverSealer, world)));
  }

  @Test
  void weakHandshake_vectorPacketsOpenToTheirPayloads() throws Exception {
    Exchange exchange = Pair.withVectorNonces(ForwardSecrecy.OFF).runWeak();
    PacketOpener serverOpener = exchange.serverKeys.opener();
    PacketOpener clientOpener = exchange.clientKeys.opener();
    byte[] fullOfA = new byte[Wire.MAX_PAYLOAD];
    Arrays.fill(fullOfA, (byte) 0x41);

    assertEquals("hello", openAscii(serverOpener, bytes(WEAK + "client_packet_0_for_hello")));
    assertArrayEquals(fullOfA, open(serverOpener, bytes(WEAK + "client_packet_1_for_1024_x41")));
    assertEquals("world", openAscii(clientOpener, bytes(WEAK + "server_packet_0_for_world")));
  }

  @Test
  void pfsHandshake_emitsVectorBytesAndKeys() throws Exception {
    Pair pair = Pair.withVectorNonces(ForwardSecrecy.ON);

    pair.client.generateDhValue(TestVectors.number(PFS + "x_C_exponent_hex"));
    Exchange exchange = pair.run(TestVectors.number(PFS + "x_S_exponent_hex"));

    assertEquals(hexOf(PFS + "yh_C"), hex(exchange.clientDhMessage));
    assertEquals(hexOf(PFS + "yh_S"), hex(exchange.serverDhMessage));
    assertKeys(PFS, exchange.clientKeys);
    assertKeys(PFS, exchange.serverKeys);
  }

  @Test
  void pfsHandshake_throughPublicApi_drawsNoncesThenExponentsFromRandom() throws Exception {
    // The vectors' nonces and exponents are the bytes 0x00, 0x01, ... 0x7f in protocol order:
    // nonce_C, nonce_S, then r_C and r_S of x = 2^258 + r. One counting random shared by both
    // sides must therefore reproduce them through the public factories alone.
    SecureRandom counting = new CountingRandom();
    HandshakeSession client =
        HandshakeSession.client(TestVectors.key(), ForwardSecrecy.ON, counting);
    HandshakeSession server =
        HandshakeSession.server(List.of(TestVectors.key()), ForwardSecrecy.ON, counting);

    client.generateDhValue();
    client.receivePeerNonce(server.localNonce());
    server.receivePeerNonce(client.localNonce());
    byte[] clientDhMessage = client.localDhMessage();
    server.receivePeerDhMessage(clientDhMessage);
    server.generateDhValue();
    byte[] serverDhMessage = server.localDhMessage();
    client.receivePeerDhMessage(serverDhMessage);

    assertEquals(hexOf("nonce_C"), hex(client.localNonce()));
    assertEquals(hexOf("nonce_S"), hex(server.localNonce()));
    assertEquals(hexOf(PFS + "yh_C"), hex(clientDhMessage));
    assertEquals(hexOf(PFS + "yh_S"), hex(serverDhMessage));
    assertKeys(PFS, client.finish());
    assertKeys(PFS, server.finish());
  }

  @Test
  void sealer_matchesReferenceBuiltFromSpec() throws Exception {
    Exchange exchange = Pair.withVectorNonces(ForwardSecrecy.OFF).runWeak();
    PacketSealer sealer = exchange.clientKeys.sealer();

    for (int packetNumber = 0; packetNumber < 3; packetNumber++) {
      byte[] payload = new byte[1 + packetNumber * 400];
      Arrays.fill(payload, (byte) packetNumber);
      byte[] expected = ReferencePackets.clientPacket(exchange.clientKeys, packetNumber, payload);

      assertEquals(hex(expected), hex(seal(sealer, payload)), "packet " + packetNumber);
    }
  }

  private static void assertMacedWith(String dhmacName, byte[] dhMessage) {
    byte[] y = Arrays.copyOfRange(dhMessage, 0, Wire.DH_VALUE_SIZE);
    byte[] tag = Arrays.copyOfRange(dhMessage, Wire.DH_VALUE_SIZE, Wire.DH_MESSAGE_SIZE);

    assertEquals(hex(tag), hex(Primitives.hmacSha256(bytes(dhmacName), y)), dhmacName);
  }

  private static void assertKeys(String handshake, SessionKeys keys) {
    String side = keys.isClient() ? "client: " : "server: ";
    assertEquals(hexOf(handshake + "E_C"), hex(keys.clientCipherKey()), side + "E_C");
    assertEquals(hexOf(handshake + "H_C"), hex(keys.clientMacKey()), side + "H_C");
    assertEquals(hexOf(handshake + "E_S"), hex(keys.serverCipherKey()), side + "E_S");
    assertEquals(hexOf(handshake + "H_S"), hex(keys.serverMacKey()), side + "H_S");
  }

  static byte[] seal(PacketSealer sealer, byte[] payload) {
    byte[] packet = new byte[Wire.PACKET_SIZE];
    sealer.seal(payload, 0, payload.length, packet, 0);
    return packet;
  }

  static byte[] open(PacketOpener opener, byte[] packet) throws PacketException {
    byte[] payload = new byte[Wire.MAX_PAYLOAD];
    int length = opener.open(packet, 0, payload, 0);
    return Arrays.copyOf(payload, length);
  }

  private static String openAscii(PacketOpener opener, byte[] packet) throws PacketException {
    return new String(open(opener, packet), StandardCharsets.US_ASCII);
  }

  /** What a finished handshake produced on the wire and on each side. */
  static final class Exchange {
    byte[] clientDhMessage;
    byte[] serverDhMessage;
    SessionKeys clientKeys;
    SessionKeys serverKeys;
  }

  /** A client and a server session with the vectors' key and nonces. */
  static final class Pair {
    final HandshakeSession client;
    final HandshakeSession server;

    private Pair(HandshakeSession client, HandshakeSession server) {
      this.client = client;
      this.server = server;
    }

    static Pair withVectorNonces(ForwardSecrecy forwardSecrecy) {
      SecureRandom random = new SecureRandom();
      return new Pair(
          HandshakeSession.client(TestVectors.key(), forwardSecrecy, random, bytes("nonce_C")),
          HandshakeSession.server(
              List.of(TestVectors.key()), forwardSecrecy, random, bytes("nonce_S")));
    }

    /** The whole handshake without forward secrecy. */
    Exchange runWeak() throws HandshakeException {
      client.generateDhValue();
      return run(null);
    }

    /**
     * Runs the handshake from the nonces on; the client has generated its DH value already. The
     * server uses serverExponent, or draws its own when null.
     */
    Exchange run(BigInteger serverExponent) throws HandshakeException {
      Exchange exchange = new Exchange();
      client.receivePeerNonce(server.localNonce());
      server.receivePeerNonce(client.localNonce());

      exchange.clientDhMessage = client.localDhMessage();
      server.receivePeerDhMessage(exchange.clientDhMessage);
      if (serverExponent == null) {
        server.generateDhValue();
      } else {
        server.generateDhValue(serverExponent);
      }
      exchange.serverDhMessage = server.localDhMessage();
      client.receivePeerDhMessage(exchange.serverDhMessage);

      exchange.clientKeys = client.finish();
      exchange.serverKeys = server.finish();
      return exchange;
    }
  }

  /** Hands out the bytes 0x00, 0x01, 0x02 ... across calls. Deterministic: tests only. */
  private static final class CountingRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private int next;

    @Override
    public void nextBytes(byte[] bytes) {
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) next++;
      }
    }
  }
}
