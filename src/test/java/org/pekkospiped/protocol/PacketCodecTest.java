package org.pekkospiped.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.pekkospiped.protocol.KnownAnswerTest.open;
import static org.pekkospiped.protocol.KnownAnswerTest.seal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sealing and opening data packets, and every way a packet must be refused. */
class PacketCodecTest {

  private static final byte UNTOUCHED = (byte) 0xA5;
  private static final String AUTHENTICATION_FAILED = "packet authentication failed";

  private SessionKeys clientKeys;
  private SessionKeys serverKeys;

  @BeforeEach
  void handshake() throws Exception {
    KnownAnswerTest.Exchange exchange =
        KnownAnswerTest.Pair.withVectorNonces(ForwardSecrecy.OFF).runWeak();
    clientKeys = exchange.clientKeys;
    serverKeys = exchange.serverKeys;
  }

  @Test
  void open_sealedPackets_returnPayloadsInOrder() throws Exception {
    PacketSealer sealer = clientKeys.sealer();
    PacketOpener opener = serverKeys.opener();

    for (int length : new int[] {1, 2, 500, 1023, 1024, 7}) {
      byte[] payload = payload(length);

      assertArrayEquals(payload, open(opener, seal(sealer, payload)), "length " + length);
    }
    assertEquals(6, sealer.packetCount());
    assertEquals(6, opener.packetCount());
  }

  @Test
  void open_eachSingleBitFlip_rejectedAndOutUntouched() throws Exception {
    byte[] packet = seal(clientKeys.sealer(), payload(300));
    PacketOpener opener = serverKeys.opener();
    byte[] out = untouchedBuffer();

    for (int bit = 0; bit < Wire.PACKET_SIZE * 8; bit++) {
      byte[] flipped = flipBit(packet, bit);

      PacketException e =
          assertThrows(PacketException.class, () -> opener.open(flipped, 0, out, 0), "bit " + bit);
      assertEquals(AUTHENTICATION_FAILED, e.getMessage(), "bit " + bit);
    }

    assertArrayEquals(untouchedBuffer(), out);
    assertEquals(300, opener.open(packet, 0, out, 0), "the unflipped packet still opens");
  }

  @Test
  void open_replayedPacket_rejected() throws Exception {
    PacketSealer sealer = clientKeys.sealer();
    byte[] first = seal(sealer, payload(10));
    PacketOpener opener = serverKeys.opener();
    open(opener, first);

    assertAuthenticationFails(opener, first);
  }

  @Test
  void open_swappedOrder_rejected() throws Exception {
    PacketSealer sealer = clientKeys.sealer();
    seal(sealer, payload(10));
    byte[] second = seal(sealer, payload(20));
    PacketOpener opener = serverKeys.opener();

    assertAuthenticationFails(opener, second);
  }

  @Test
  void open_packetForOtherDirection_rejected() {
    // A packet reflected back at its sender must not open: each direction has its own keys.
    byte[] packet = seal(clientKeys.sealer(), payload(10));

    assertAuthenticationFails(clientKeys.opener(), packet);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, Wire.MAX_PAYLOAD + 1, 0x7fffffff, 0x80000000, 0xffffffff})
  void open_authenticPacketWithBadLength_rejectedAndOutUntouched(int lengthField) throws Exception {
    byte[] packet =
        ReferencePackets.packet(
            clientKeys.clientCipherKey(), clientKeys.clientMacKey(), 0, payload(5), lengthField);
    byte[] out = untouchedBuffer();

    PacketException e =
        assertThrows(PacketException.class, () -> serverKeys.opener().open(packet, 0, out, 0));

    assertEquals("packet length invalid", e.getMessage());
    assertArrayEquals(untouchedBuffer(), out);
  }

  @Test
  void open_atOffsets_readsAndWritesThere() throws Exception {
    byte[] payload = payload(64);
    byte[] stream = new byte[7 + Wire.PACKET_SIZE];
    clientKeys.sealer().seal(payload, 0, payload.length, stream, 7);
    byte[] out = new byte[3 + Wire.MAX_PAYLOAD];

    int length = serverKeys.opener().open(stream, 7, out, 3);

    assertArrayEquals(payload, Arrays.copyOfRange(out, 3, 3 + length));
  }

  @Test
  void seal_payloadInsideOutputBuffer_sealsSameBytes() throws Exception {
    // The stage may seal in place: payload bytes at the start of the buffer the packet goes to.
    byte[] payload = "in place".getBytes(StandardCharsets.US_ASCII);
    byte[] buffer = Arrays.copyOf(payload, Wire.PACKET_SIZE);

    clientKeys.sealer().seal(buffer, 0, payload.length, buffer, 0);

    assertArrayEquals(payload, open(serverKeys.opener(), buffer));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Wire.MAX_PAYLOAD + 1})
  void seal_payloadLengthOutOfRange_throws(int length) {
    byte[] payload = new byte[2048];
    byte[] out = new byte[Wire.PACKET_SIZE];

    assertThrows(
        IllegalArgumentException.class, () -> clientKeys.sealer().seal(payload, 0, length, out, 0));
  }

  @Test
  void seal_outputTooSmall_throwsBeforeCounting() {
    PacketSealer sealer = clientKeys.sealer();
    byte[] out = new byte[Wire.PACKET_SIZE];

    assertThrows(IndexOutOfBoundsException.class, () -> sealer.seal(payload(4), 0, 4, out, 1));
    assertEquals(0, sealer.packetCount());
  }

  @Test
  void open_outputWithoutRoomForFullPayload_throws() {
    byte[] packet = seal(clientKeys.sealer(), payload(4));
    byte[] out = new byte[Wire.MAX_PAYLOAD - 1];

    assertThrows(
        IndexOutOfBoundsException.class, () -> serverKeys.opener().open(packet, 0, out, 0));
  }

  /**
   * Refused by the MAC, not just by a length that happens to decrypt out of range: that is what
   * proves the packet number (or the direction's key) is covered.
   */
  private static void assertAuthenticationFails(PacketOpener opener, byte[] packet) {
    PacketException e = assertThrows(PacketException.class, () -> open(opener, packet));
    assertEquals(AUTHENTICATION_FAILED, e.getMessage());
  }

  private static byte[] payload(int length) {
    byte[] payload = new byte[length];
    for (int i = 0; i < length; i++) {
      payload[i] = (byte) (i * 31 + 7);
    }
    return payload;
  }

  private static byte[] flipBit(byte[] packet, int bit) {
    byte[] flipped = packet.clone();
    flipped[bit / 8] ^= (byte) (1 << (bit % 8));
    return flipped;
  }

  private static byte[] untouchedBuffer() {
    byte[] out = new byte[Wire.MAX_PAYLOAD];
    Arrays.fill(out, UNTOUCHED);
    return out;
  }
}
