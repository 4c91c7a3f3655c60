package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.stream.StreamTcpException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pekkospiped.config.Endpoint;
import org.pekkospiped.config.Mode;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.metrics.PipeMetrics;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.HandshakeException;
import org.pekkospiped.protocol.HandshakeFailure;
import org.pekkospiped.protocol.PacketException;
import org.pekkospiped.protocol.ProtocolKey;

/** One line per failed connection, at the level that says who must act, throttled per reason. */
class ConnectionEventsTest {
  private static final String PEER = "/192.0.2.7:40000";

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicLong now = new AtomicLong();
  private final LogCapture logs = new LogCapture();

  @AfterEach
  void stopCapture() {
    logs.close();
  }

  @Test
  void ended_handshakeFailureOnDecryptingPipe_infoNamingPeerAndReason() {
    events(Mode.DECRYPT).ended(PEER, new HandshakeException(HandshakeFailure.BAD_MAC), null);

    assertEquals(
        List.of("INFO pipe [web]: connection from " + PEER + " dropped: handshake failed (bad_mac)"),
        logs.linesContaining("pipe [web]"));
    assertEquals(1, count(PipeMetrics.HANDSHAKES_FAILED, "reason", "bad_mac"));
  }

  @Test
  void ended_handshakeFailureOnEncryptingPipe_warnNamingTarget() {
    events(Mode.ENCRYPT).ended(PEER, new HandshakeException(HandshakeFailure.PEER_CLOSED), null);

    assertEquals(
        List.of(
            "WARN pipe [web]: connection from "
                + PEER
                + " dropped: handshake with target [127.0.0.1]:8080 failed (peer_closed)"),
        logs.linesContaining("pipe [web]"));
  }

  @Test
  void ended_targetUnreachable_warnWithStreamCause() {
    StreamTcpException failure = new StreamTcpException("Tcp command failed");
    failure.initCause(new IOException("Connection refused"));

    events(Mode.DECRYPT).ended(PEER, failure, new StreamTcpException("Connection failed."));

    assertEquals(
        List.of(
            "WARN pipe [web]: connection from "
                + PEER
                + " dropped: cannot connect to target [127.0.0.1]:8080: Connection refused"),
        logs.linesContaining("pipe [web]"));
    assertEquals(1, count(PipeMetrics.TARGET_CONNECT_FAILURES));
  }

  @Test
  void ended_badAndTruncatedPackets_infoAndCountedApart() {
    ConnectionEvents events = events(Mode.DECRYPT);

    events.ended(PEER, new PacketException("packet authentication failed"), null);
    events.ended(PEER, new PacketException(PacketStage.TRUNCATED), null);

    assertEquals(
        List.of(
            "INFO pipe [web]: connection from "
                + PEER
                + " dropped: bad packet from peer (packet authentication failed)",
            "INFO pipe [web]: connection from " + PEER + " dropped: truncated packet from peer"),
        logs.linesContaining("pipe [web]"));
    assertEquals(1, count(PipeMetrics.DROPPED, "reason", "bad_packet"));
    assertEquals(1, count(PipeMetrics.DROPPED, "reason", "truncated_packet"));
  }

  @Test
  void ended_resetAndCleanClose_nothingAboveDebug() {
    ConnectionEvents events = events(Mode.DECRYPT);

    events.ended(PEER, new StreamTcpException("Connection reset by peer"), null);
    events.ended(PEER, null, null);

    assertEquals(List.of(), logs.linesContaining("pipe [web]"));
    assertEquals(1, count(PipeMetrics.DROPPED, "reason", "socket_error"));
  }

  @Test
  void ended_floodOfOneReason_oneLinePerIntervalWithHeldBackCount() {
    ConnectionEvents events = events(Mode.DECRYPT);
    HandshakeException badMac = new HandshakeException(HandshakeFailure.BAD_MAC);

    for (int i = 0; i < 5; i++) {
      events.ended(PEER, badMac, null);
    }
    events.ended(PEER, new HandshakeException(HandshakeFailure.TIMEOUT), null);
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    events.ended(PEER, badMac, null);

    String dropped = "INFO pipe [web]: connection from " + PEER + " dropped: ";
    assertEquals(
        List.of(
            dropped + "handshake failed (bad_mac)",
            dropped + "handshake failed (timeout)",
            dropped + "handshake failed (bad_mac) (and 4 more)"),
        logs.linesContaining("pipe [web]"));
    assertEquals(6, count(PipeMetrics.HANDSHAKES_FAILED, "reason", "bad_mac"));
  }

  @Test
  void limitReached_warnAndCounted() {
    events(Mode.ENCRYPT).limitReached(10);

    assertEquals(
        List.of(
            "WARN pipe [web]: connection limit 10 reached; new connections wait in the listen"
                + " backlog"),
        logs.linesContaining("pipe [web]"));
    assertEquals(1, count(PipeMetrics.LIMIT_REACHED));
  }

  private ConnectionEvents events(Mode mode) {
    PipeSettings pipe =
        new PipeSettings(
            "web",
            mode,
            Endpoint.parse("[127.0.0.1]:8025"),
            Endpoint.parse("[127.0.0.1]:8080"),
            List.of(ProtocolKey.ofFileContents(new byte[] {1})),
            ForwardSecrecy.ON,
            Duration.ofSeconds(5),
            10,
            true,
            Optional.empty(),
            Optional.empty(),
            false);
    PipeMetrics metrics = new PipeMetrics(registry, "web", 10);
    return new ConnectionEvents(
        pipe, metrics, new LogThrottle(Duration.ofSeconds(10), now::get));
  }

  private double count(String meter, String... tags) {
    return registry.get(meter).tag("pipe", "web").tags(tags).counter().count();
  }
}
