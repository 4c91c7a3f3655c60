package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pekkospiped.pipe.TestDaemon.await;
import static org.pekkospiped.pipe.TestDaemon.freePort;
import static org.pekkospiped.pipe.TestDaemon.local;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.pekkospiped.metrics.PipeMetrics;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.ProtocolForgery;
import org.pekkospiped.protocol.ProtocolKey;
import org.pekkospiped.protocol.Wire;

/**
 * A decrypting pipe under attack from peers that speak the protocol by hand, wrongly. Each case:
 * the pipe closes the connection within its timeout, forwards nothing the peer could not
 * authenticate, counts and logs the failure once, and then still serves a good client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostilePeerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(1);

  /** Time to notice a failure that needs no waiting: well below the pipe's timeout. */
  private static final Duration PROMPTLY = Duration.ofMillis(900);

  /** A stall is only noticed at the timeout; allow for a slow machine after it. */
  private static final Duration AT_TIMEOUT = TIMEOUT.plusSeconds(2);

  private static final byte[] GOOD = "the good packet".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SECRET = "plaintext-never-logged".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir static Path dir;

  private ProtocolKey key;
  private RecordingTarget openTarget;
  private RecordingTarget strictTarget;
  private InetSocketAddress open;
  private InetSocketAddress strict;
  private TestDaemon daemon;
  private LogCapture logs;

  /** Never cleared: no case may make the daemon warn, hostile peers are not the operator's job. */
  private LogCapture warnings;

  @BeforeAll
  void startPipes() throws Exception {
    key = TestDaemon.writeKey(dir.resolve("pipe.key"));
    openTarget = new RecordingTarget();
    strictTarget = new RecordingTarget();
    open = local(freePort());
    strict = local(freePort());
    logs = new LogCapture();
    warnings = new LogCapture();
    daemon =
        TestDaemon.startListening(
            String.format(
                """
                pekko-spiped {
                  logging.repeat-interval = 0s
                  pipe-defaults.timeout = 1s
                  pipes {
                    open { mode = decrypt, key-file = "%1$s"
                      source = "[127.0.0.1]:%2$d", target = "%3$s" }
                    strict { mode = decrypt, key-file = "%1$s", forward-secrecy = required
                      source = "[127.0.0.1]:%4$d", target = "%5$s" }
                  }
                }
                """,
                dir.resolve("pipe.key"),
                open.getPort(),
                openTarget.endpoint(),
                strict.getPort(),
                strictTarget.endpoint()));
  }

  @BeforeEach
  void forgetEarlierCases() {
    openTarget.clear();
    strictTarget.clear();
    logs.clear();
  }

  @AfterEach
  void pipeStillServesGoodClient() throws Exception {
    for (InetSocketAddress pipe : List.of(open, strict)) {
      try (RawClient good = RawClient.connect(pipe, key, ForwardSecrecy.ON)) {
        good.handshake();
        good.sendPacket(GOOD);
        assertArrayEquals(GOOD, good.readPacket(), "echo through " + pipe);
      }
    }
    for (String line : logs.everything()) {
      assertTrue(!line.contains(new String(SECRET, StandardCharsets.US_ASCII)), line);
    }
  }

  @AfterAll
  void stopPipes() throws IOException {
    daemon.close();
    assertEquals(List.of(), warnings.warningsAndErrors());
    warnings.close();
    logs.close();
    openTarget.close();
    strictTarget.close();
  }

  // ---- the handshake ----

  @Test
  void handshake_randomBytesInsteadOfHandshake_droppedBadMac() throws Exception {
    double before = handshakeFailures("open", "bad_mac");
    byte[] noise = new byte[Wire.NONCE_SIZE + Wire.DH_MESSAGE_SIZE + 500];
    RANDOM.nextBytes(noise);

    try (RawClient peer = RawClient.connect(open, key, ForwardSecrecy.ON)) {
      peer.send(noise);
      peer.awaitClosed(PROMPTLY);
      assertHandshakeFailed("open", "bad_mac", before, peer);
    }
    assertNothingReached(openTarget);
  }

  @Test
  void handshake_dhValueWithFlippedMacBit_droppedBadMac() throws Exception {
    double before = handshakeFailures("open", "bad_mac");

    try (RawClient peer = RawClient.connect(open, key, ForwardSecrecy.ON)) {
      peer.exchangeNonces();
      byte[] message = validDhMessage(peer, BigInteger.TWO);
      message[Wire.DH_VALUE_SIZE + 3] ^= 0x10;
      peer.send(message);
      peer.awaitClosed(PROMPTLY);
      assertHandshakeFailed("open", "bad_mac", before, peer);
    }
    assertNothingReached(openTarget);
  }

  @Test
  void handshake_dhValueEqualToPrime_droppedBadDhValue() throws Exception {
    assertDhValueRefused(ProtocolForgery.prime());
  }

  @Test
  void handshake_dhValueAbovePrime_droppedBadDhValue() throws Exception {
    assertDhValueRefused(ProtocolForgery.prime().add(BigInteger.ONE));
    assertDhValueRefused(BigInteger.ONE.shiftLeft(2048).subtract(BigInteger.ONE));
  }

  @Test
  void handshake_dhValueOneWhenForwardSecrecyRequired_droppedWeakPeer() throws Exception {
    double before = handshakeFailures("strict", "weak_peer_refused");

    try (RawClient peer = RawClient.connect(strict, key, ForwardSecrecy.ON)) {
      peer.exchangeNonces();
      peer.send(validDhMessage(peer, BigInteger.ONE));
      peer.awaitClosed(PROMPTLY);
      assertHandshakeFailed("strict", "weak_peer_refused", before, peer);
    }
    assertNothingReached(strictTarget);
  }

  @Test
  void handshake_stallAfterNonce_droppedAtTimeout() throws Exception {
    double before = handshakeFailures("open", "timeout");

    try (RawClient peer = RawClient.connect(open, key, ForwardSecrecy.ON)) {
      peer.exchangeNonces();
      assertClosedAtTimeout(peer);
      assertHandshakeFailed("open", "timeout", before, peer);
    }
    assertNothingReached(openTarget);
  }

  @Test
  void handshake_stallAfterTenBytes_droppedAtTimeout() throws Exception {
    double before = handshakeFailures("open", "timeout");

    try (RawClient peer = RawClient.connect(open, key, ForwardSecrecy.ON)) {
      peer.send(Arrays.copyOf(peer.clientNonce(), 10));
      assertClosedAtTimeout(peer);
      assertHandshakeFailed("open", "timeout", before, peer);
    }
    assertNothingReached(openTarget);
  }

  @Test
  void handshake_peerClosesAfterNonce_droppedPeerClosed() throws Exception {
    double before = handshakeFailures("open", "peer_closed");

    try (RawClient peer = RawClient.connect(open, key, ForwardSecrecy.ON)) {
      peer.exchangeNonces();
      peer.shutdownOutput();
      peer.awaitClosed(PROMPTLY);
      assertHandshakeFailed("open", "peer_closed", before, peer);
    }
    assertNothingReached(openTarget);
  }

  // ---- packets after a good handshake ----

  @Test
  void packet_flippedCiphertextBit_droppedAfterGoodPackets() throws Exception {
    assertBadPacketDropped(
        (peer) -> {
          byte[] packet = peer.seal(SECRET);
          packet[100] ^= 0x01;
          return packet;
        },
        "bad_packet");
  }

  @Test
  void packet_flippedMacBit_droppedAfterGoodPackets() throws Exception {
    assertBadPacketDropped(
        (peer) -> {
          byte[] packet = peer.seal(SECRET);
          packet[Wire.PADDED_SIZE + 5] ^= (byte) 0x80;
          return packet;
        },
        "bad_packet");
  }

  @Test
  void packet_authenticatedLengthZero_dropped() throws Exception {
    assertBadPacketDropped(peer -> forgedLength(peer, 0), "bad_packet");
  }

  @Test
  void packet_authenticatedLength1025_dropped() throws Exception {
    assertBadPacketDropped(peer -> forgedLength(peer, Wire.MAX_PAYLOAD + 1), "bad_packet");
  }

  @Test
  void packet_authenticatedLengthMaxUint32_dropped() throws Exception {
    assertBadPacketDropped(peer -> forgedLength(peer, 0xFFFFFFFF), "bad_packet");
  }

  @Test
  void packet_replayed_dropped() throws Exception {
    double before = drops("bad_packet");

    try (RawClient peer = RawClient.connect(open, key, ForwardSecrecy.ON)) {
      peer.handshake();
      byte[] first = peer.sendPacket(GOOD);
      assertArrayEquals(GOOD, peer.readPacket());

      peer.send(first);
      peer.awaitClosed(PROMPTLY);
    }
    assertOnlyGoodBytesReached(before, "bad_packet");
  }

  @Test
  void packet_cutShortBeforeEof_droppedTruncated() throws Exception {
    assertBadPacketDropped(
        peer -> {
          byte[] packet = Arrays.copyOf(peer.seal(SECRET), 500);
          peer.send(packet);
          peer.shutdownOutput();
          return new byte[0];
        },
        "truncated_packet");
  }

  // ---- helpers ----

  private interface BadPacket {
    byte[] make(RawClient peer) throws Exception;
  }

  /** A good packet, echoed back so it surely reached the target, then a bad one. */
  private void assertBadPacketDropped(BadPacket bad, String reason) throws Exception {
    double before = drops(reason);

    try (RawClient peer = RawClient.connect(open, key, ForwardSecrecy.ON)) {
      peer.handshake();
      peer.sendPacket(GOOD);
      assertArrayEquals(GOOD, peer.readPacket());

      peer.send(bad.make(peer));
      peer.awaitClosed(PROMPTLY);
      assertEquals(1, logs.linesContaining(peer.peerName()).size(), () -> logs.everything().toString());
    }
    assertOnlyGoodBytesReached(before, reason);
  }

  private void assertOnlyGoodBytesReached(double dropsBefore, String reason) throws Exception {
    await(
        PROMPTLY,
        () -> drops(reason) == dropsBefore + 1,
        () -> reason + " counted once: " + drops(reason) + " after " + dropsBefore);
    List<RecordingTarget.Connection> reached = openTarget.connections();
    assertEquals(1, reached.size(), "connections that reached the target");
    await(PROMPTLY, reached.get(0)::ended, () -> "target side closed too");
    assertArrayEquals(GOOD, reached.get(0).received(), "bytes that reached the target");
  }

  private static byte[] forgedLength(RawClient peer, int lengthField) throws Exception {
    byte[] payload = Arrays.copyOf(SECRET, Wire.MAX_PAYLOAD);
    return ProtocolForgery.clientPacket(peer.keys(), 1, payload, lengthField);
  }

  private void assertDhValueRefused(BigInteger y) throws Exception {
    double before = handshakeFailures("open", "bad_dh_value");

    try (RawClient peer = RawClient.connect(open, key, ForwardSecrecy.ON)) {
      peer.exchangeNonces();
      peer.send(validDhMessage(peer, y));
      peer.awaitClosed(PROMPTLY);
      assertHandshakeFailed("open", "bad_dh_value", before, peer);
    }
    assertNothingReached(openTarget);
  }

  private byte[] validDhMessage(RawClient peer, BigInteger y) {
    return ProtocolForgery.clientDhMessage(key, peer.clientNonce(), peer.serverNonce(), y);
  }

  private static void assertClosedAtTimeout(RawClient peer) throws IOException {
    Duration took = peer.awaitClosed(AT_TIMEOUT);
    assertTrue(
        took.compareTo(TIMEOUT.minusMillis(100)) >= 0, "closed after " + took + ", before timeout");
  }

  /** Counted once, and logged once at INFO with the pipe, the peer and the reason. */
  private void assertHandshakeFailed(String pipe, String reason, double before, RawClient peer)
      throws Exception {
    await(
        PROMPTLY,
        () -> handshakeFailures(pipe, reason) == before + 1,
        () -> reason + " counted: " + handshakeFailures(pipe, reason) + " after " + before);
    // The count comes just before the line, from another thread: wait for the line too.
    await(
        PROMPTLY,
        () -> !logs.linesContaining(peer.peerName()).isEmpty(),
        () -> "no line names " + peer.peerName() + ": " + logs.everything());
    assertEquals(
        List.of(
            "INFO pipe ["
                + pipe
                + "]: connection from "
                + peer.peerName()
                + " dropped: handshake failed ("
                + reason
                + ")"),
        logs.linesContaining(peer.peerName()));
  }

  private static void assertNothingReached(RecordingTarget target) {
    assertEquals(List.of(), target.connections(), "connections that reached the target");
  }

  private double handshakeFailures(String pipe, String reason) {
    return daemon.count(PipeMetrics.HANDSHAKES_FAILED, pipe, "reason", reason);
  }

  private double drops(String reason) {
    return daemon.count(PipeMetrics.DROPPED, "open", "reason", reason);
  }
}
