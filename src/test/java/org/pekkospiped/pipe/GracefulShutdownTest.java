package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pekkospiped.pipe.TestDaemon.freePort;
import static org.pekkospiped.pipe.TestDaemon.local;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.metrics.PipeMetrics;
import org.pekkospiped.protocol.ProtocolKey;

/**
 * {@link Daemon#shutdown()}, what SIGTERM calls, in this JVM: the pipe unbinds at once, an open
 * connection goes on until it ends or shutdown-timeout runs out, and {@link Daemon#close()}
 * does not wait at all.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GracefulShutdownTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Well below the 30s default shutdown-timeout: a close that waits for it is too late. */
  private static final Duration PROMPTLY = Duration.ofSeconds(5);

  private static final byte[] PACKET = "still flowing".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  private ProtocolKey key;
  private RecordingTarget target;
  private InetSocketAddress source;
  private LogCapture logs;
  private TestDaemon daemon;

  @BeforeEach
  void startTarget() throws Exception {
    key = TestDaemon.writeKey(dir.resolve("pipe.key"));
    target = new RecordingTarget();
    source = local(freePort());
    logs = new LogCapture();
  }

  @AfterEach
  void stopAll() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    target.close();
    logs.close();
  }

  // Goal: shutdown unbinds at once, yet an open connection is served until it ends by itself.
  @Test
  void shutdown_refusesNewConnections_servesOpenOneUntilItEnds() throws Exception {
    daemon = startPipe("30s");

    try (RawClient client = openConnection()) {
      CompletableFuture<Done> stopped = daemon.daemon().shutdown().toCompletableFuture();
      TestDaemon.await(
          TIMEOUT,
          () -> !logs.linesContaining("pipe [back] stopped accepting").isEmpty(),
          () -> "no line about unbinding: " + logs.everything());
      assertThrows(ConnectException.class, () -> new Socket(source.getAddress(), source.getPort()));

      client.sendPacket(PACKET);
      assertArrayEquals(PACKET, client.readPacket(), "the open connection stopped flowing");
      assertFalse(stopped.isDone(), "stopped with a connection open");

      client.close();
      stopped.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
    assertEquals(
        1, logs.linesContaining("pipe [back] stopped accepting; 1 connection still open").size());
    assertEquals(1, logs.linesContaining("pipe [back]: all connections have ended").size());
  }

  // Goal: shutdown-timeout 0s closes what is open at once, and counts it as a shutdown drop.
  @Test
  void shutdown_zeroTimeout_closesOpenConnectionAtOnce() throws Exception {
    daemon = startPipe("0s");

    try (RawClient client = openConnection()) {
      daemon.daemon().shutdown().toCompletableFuture().get(10, TimeUnit.SECONDS);
      client.awaitClosed(PROMPTLY);
    }
    assertEquals(1.0, daemon.count(PipeMetrics.DROPPED, "back", "reason", "shutdown"));
    assertEquals(
        List.of("INFO pipe [back]: closing 1 connection still open"),
        logs.linesContaining("closing"));
  }

  // Goal: close() is for stopping now; it does not wait for shutdown-timeout.
  @Test
  void close_withConnectionOpen_doesNotWaitForShutdownTimeout() throws Exception {
    daemon = startPipe("30s");

    try (RawClient client = openConnection()) {
      long start = System.nanoTime();
      daemon.close();
      long elapsed = System.nanoTime() - start;
      daemon = null;

      assertTrue(elapsed < PROMPTLY.toNanos(), "close took " + elapsed / 1_000_000 + " ms");
      client.awaitClosed(PROMPTLY);
    }
  }

  private TestDaemon startPipe(String shutdownTimeout) throws Exception {
    return TestDaemon.startListening(
        String.format(
            """
            pekko-spiped {
              shutdown-timeout = %s
              pipes.back { mode = decrypt, key-file = "%s"
                source = "[127.0.0.1]:%d", target = "%s" }
            }
            """,
            shutdownTimeout, dir.resolve("pipe.key"), source.getPort(), target.endpoint()));
  }

  /** A connection through the pipe to the echoing target, proven open by one round trip. */
  private RawClient openConnection() throws Exception {
    RawClient client = RawClient.connect(source, key, ForwardSecrecy.ON);
    client.handshake();
    client.sendPacket(PACKET);
    assertArrayEquals(PACKET, client.readPacket());
    return client;
  }
}
