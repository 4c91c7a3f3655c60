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
import org.pekkospiped.protocol.ProtocolKey;

/**
 * A pipe whose target's name never resolves, beside one that works: it is retried with backoff,
 * says why in every retry's line, and does not hold up shutdown.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UnresolvableTargetTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Below the 3 s that an unanswered ask to a pipe in backoff used to add. */
  private static final Duration PROMPTLY = Duration.ofSeconds(2);

  private static final byte[] PACKET = "still flowing".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  private ProtocolKey key;
  private RecordingTarget target;
  private InetSocketAddress source;
  private InetSocketAddress unboundSource;
  private LogCapture logs;
  private TestDaemon daemon;

  @BeforeEach
  void start() throws Exception {
    key = TestDaemon.writeKey(dir.resolve("pipe.key"));
    target = new RecordingTarget();
    source = local(freePort());
    unboundSource = local(freePort());
    logs = new LogCapture();
    // A short backoff, so that the lost pipe is retried (and would log) during shutdown.
    daemon =
        TestDaemon.start(
            String.format(
                """
                pekko-spiped {
                  restart { min-backoff = 50ms, max-backoff = 50ms }
                  pipes.good { mode = decrypt, key-file = "%1$s"
                    source = "[127.0.0.1]:%2$d", target = "%3$s" }
                  pipes.lost { mode = encrypt, key-file = "%1$s"
                    source = "[127.0.0.1]:%4$d", target = "nonexistent.invalid:80" }
                  pipes.unbound { mode = encrypt, key-file = "%1$s"
                    source = "[127.0.0.1]:%5$d", target = "%3$s"
                    bind-address = "nonexistent.invalid:0" }
                }
                """,
                dir.resolve("pipe.key"),
                source.getPort(),
                target.endpoint(),
                freePort(),
                unboundSource.getPort()));
    TestDaemon.await(
        TIMEOUT,
        () -> !logs.linesContaining("pipe [good] listening").isEmpty(),
        () -> "the good pipe does not listen: " + logs.everything());
  }

  @AfterEach
  void stopAll() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    target.close();
    logs.close();
  }

  // Goal: every retry's line says why the name did not resolve, not just the name again (the
  // JDK's cached failure carries only the host).
  @Test
  void start_unresolvableTarget_everyRetrySaysWhy() throws Exception {
    TestDaemon.await(
        TIMEOUT,
        () -> resolveErrors().size() >= 2,
        () -> "fewer than two retries: " + logs.everything());

    for (String line : resolveErrors()) {
      assertTrue(
          line.matches(
              "ERROR pipe \\[lost\\]: cannot resolve target nonexistent\\.invalid \\([^)]+\\);"
                  + " retrying with backoff"),
          line);
      assertFalse(line.contains("(nonexistent.invalid)"), line);
    }
  }

  // Goal: a bind address is looked up once, when the pipe starts, not for every connection on
  // the threads that move packets; one that does not resolve keeps the pipe from listening
  // (rather than failing, and once leaking, a socket per connection), and says why.
  @Test
  void start_unresolvableBindAddress_notListeningAndEveryRetrySaysWhy() throws Exception {
    TestDaemon.await(
        TIMEOUT,
        () -> logs.linesContaining("cannot resolve bind-address").size() >= 2,
        () -> "fewer than two retries: " + logs.everything());

    for (String line : logs.linesContaining("cannot resolve bind-address")) {
      assertTrue(
          line.matches(
              "ERROR pipe \\[unbound\\]: cannot resolve bind-address nonexistent\\.invalid"
                  + " \\([^)]+\\); retrying with backoff"),
          line);
    }
    assertThrows(
        ConnectException.class,
        () -> new Socket(unboundSource.getAddress(), unboundSource.getPort()).close(),
        "the pipe listens without its bind address");
  }

  // Goal: shutdown does not wait on a pipe that is waiting out its backoff, and from the moment
  // it begins nothing is retried or warned about, while the good pipe drains as usual.
  @Test
  void shutdown_pipeInBackoff_stopsPromptlyWithoutWarnings() throws Exception {
    TestDaemon.await(
        TIMEOUT,
        () -> !resolveErrors().isEmpty(),
        () -> "the lost pipe never failed: " + logs.everything());

    try (RawClient client = RawClient.connect(source, key, ForwardSecrecy.ON)) {
      client.handshake();
      client.sendPacket(PACKET);
      assertArrayEquals(PACKET, client.readPacket());

      logs.clear();
      long start = System.nanoTime();
      CompletableFuture<Done> stopped = daemon.daemon().shutdown().toCompletableFuture();
      TestDaemon.await(
          TIMEOUT,
          () -> !logs.linesContaining("pipe [good] stopped accepting").isEmpty(),
          () -> "the good pipe did not unbind: " + logs.everything());

      // While the connection is open the lost pipe goes on being restarted, at every backoff.
      client.sendPacket(PACKET);
      assertArrayEquals(PACKET, client.readPacket());
      client.close();
      stopped.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      long elapsed = System.nanoTime() - start;

      assertTrue(elapsed < PROMPTLY.toNanos(), "shutdown took " + elapsed / 1_000_000 + " ms");
    }
    assertEquals(List.of(), logs.warningsAndErrors());
  }

  private List<String> resolveErrors() {
    return logs.linesContaining("cannot resolve target");
  }
}
