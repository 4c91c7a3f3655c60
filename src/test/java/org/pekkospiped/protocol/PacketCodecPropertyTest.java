package org.pekkospiped.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The packet codec over arbitrary keys and payloads. */
class PacketCodecPropertyTest {

  @Property(tries = 500)
  void sealThenOpen_anyPayload_roundTrips(
      @ForAll @Size(value = SessionKeys.DERIVED_SIZE) byte[] derivedKeys,
      @ForAll @Size(min = 1, max = Wire.MAX_PAYLOAD) byte[] payload)
      throws PacketException {
    byte[] packet = sealedByClient(derivedKeys, payload);
    byte[] out = new byte[Wire.MAX_PAYLOAD];

    int length = new SessionKeys(derivedKeys, false).opener().open(packet, 0, out, 0);

    assertEquals(payload.length, length);
    assertArrayEquals(payload, Arrays.copyOf(out, length));
  }

  @Property(tries = 500)
  void open_anySingleBitChange_rejected(
      @ForAll @Size(value = SessionKeys.DERIVED_SIZE) byte[] derivedKeys,
      @ForAll @Size(min = 1, max = Wire.MAX_PAYLOAD) byte[] payload,
      @ForAll @IntRange(min = 0, max = Wire.PACKET_SIZE * 8 - 1) int bit) {
    byte[] packet = sealedByClient(derivedKeys, payload);
    packet[bit / 8] ^= (byte) (1 << (bit % 8));
    PacketOpener opener = new SessionKeys(derivedKeys, false).opener();

    assertThrows(
        PacketException.class, () -> opener.open(packet, 0, new byte[Wire.MAX_PAYLOAD], 0));
  }

  private static byte[] sealedByClient(byte[] derivedKeys, byte[] payload) {
    byte[] packet = new byte[Wire.PACKET_SIZE];
    new SessionKeys(derivedKeys, true).sealer().seal(payload, 0, payload.length, packet, 0);
    return packet;
  }
}
