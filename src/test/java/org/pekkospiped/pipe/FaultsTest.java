package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pekkospiped.pipe.TestDaemon.await;
import static org.pekkospiped.pipe.TestDaemon.freePort;
import static org.pekkospiped.pipe.TestDaemon.local;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pekkospiped.metrics.PipeMetrics;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.ProtocolKey;

/**
 * Faults around a running pipe: a target that refuses or never answers, a reset in the middle of
 * a stream, a source port someone else holds. Each case: the fault costs the connection it hit,
 * within the time it should, and the pipe then serves the next good client.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FaultsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(1);

  /** Time to notice a fault that needs no waiting: well below the pipe's timeout. */
  private static final Duration PROMPTLY = Duration.ofMillis(900);

  /** A fault only noticed at the timeout; allow for a slow machine after it. */
  private static final Duration AT_TIMEOUT = TIMEOUT.plusSeconds(2);

  private static final byte[] GOOD = "the good packet".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  // ---- the target ----

  @Test
  void targetRefuses_provenClientClosedPromptly_nextClientServedOnceTargetIsBack()
      throws Exception {
    ProtocolKey key = TestDaemon.writeKey(dir.resolve("pipe.key"));
    int targetPort = freePort();
    InetSocketAddress source = local(freePort());

    try (LogCapture logs = new LogCapture();
        TestDaemon daemon = startDecrypting(source, targetPort)) {
      try (RawClient refused = RawClient.connect(source, key, ForwardSecrecy.ON)) {
        // Proven, the server both answers and connects to the target: which of its answer and
        // the refusal reaches the client first is a race, and either way the client is closed.
        refused.exchangeNonces();
        refused.sendDhMessage();
        refused.awaitClosed(PROMPTLY);
        await(
            PROMPTLY,
            () -> daemon.count(PipeMetrics.TARGET_CONNECT_FAILURES, "dec") == 1,
            () -> "target connect failures: " + logs.everything());
        assertEquals(
            1, logs.linesContaining(refused.peerName() + " dropped: cannot connect").size());
      }

      try (RecordingTarget back = new RecordingTarget(targetPort)) {
        assertEchoed(source, key);
        assertEquals(1, back.connections().size());
      }
    }
  }

  @Test
  void targetNeverAccepts_provenClientClosedAtTimeout_nextClientServedOnceTargetIsBack()
      throws Exception {
    ProtocolKey key = TestDaemon.writeKey(dir.resolve("pipe.key"));
    InetSocketAddress source = local(freePort());

    try (Blackhole blackhole = Blackhole.start();
        LogCapture logs = new LogCapture();
        TestDaemon daemon = startDecrypting(source, blackhole.port())) {
      try (RawClient hung = RawClient.connect(source, key, ForwardSecrecy.ON)) {
        hung.handshake();
        Duration took = hung.awaitClosed(AT_TIMEOUT);
        assertTrue(
            took.compareTo(TIMEOUT.minusMillis(100)) >= 0,
            "closed after " + took + ", before the connect could have timed out");
        await(
            PROMPTLY,
            () -> daemon.count(PipeMetrics.TARGET_CONNECT_FAILURES, "dec") == 1,
            () -> "target connect failures: " + logs.everything());
      }

      // The same port, now with a target that accepts: the pipe was not left stuck.
      int port = blackhole.port();
      blackhole.close();
      try (RecordingTarget back = new RecordingTarget(port)) {
        assertEchoed(source, key);
        assertEquals(1, back.connections().size());
      }
    }
  }

  // ---- resets in the middle of a stream ----

  @Test
  void clientResetsMidStream_targetSideClosedPromptly_bothPipesBackToZero() throws Exception {
    try (LogCapture logs = new LogCapture();
        RecordingTarget target = new RecordingTarget();
        PipePair pair = PipePair.start(dir, target)) {
      Socket client = pair.connectAndEcho();
      RecordingTarget.Connection reached = target.connections().get(0);

      // Bytes still in flight towards the target when the reset hits.
      client.getOutputStream().write(chunk(64 * 1024, 2));
      client.setSoLinger(true, 0);
      client.close();

      await(PROMPTLY, reached::ended, () -> "target side still open after the client's reset");
      pair.awaitNoneActive();
      // A peer's reset is routine: nothing an operator must act on, and no stack trace.
      assertEquals(List.of(), logs.warningsAndErrors());
    }
  }

  @Test
  void targetResetsMidStream_clientClosedPromptly_bothPipesBackToZero() throws Exception {
    try (LogCapture logs = new LogCapture();
        RecordingTarget target = new RecordingTarget();
        PipePair pair = PipePair.start(dir, target);
        Socket client = pair.connectAndEcho()) {
      // The client keeps sending while the target resets: the reset meets a flowing stream.
      client.getOutputStream().write(chunk(64 * 1024, 3));
      target.connections().get(0).reset();

      Duration took = awaitEofOrReset(client, PROMPTLY);
      assertTrue(took.compareTo(PROMPTLY) < 0, "client closed after " + took);
      pair.awaitNoneActive();
      assertEquals(List.of(), logs.warningsAndErrors());
    }
  }

  // ---- the source ----

  @Test
  void sourcePortTaken_retriedWithBackoffWhileOtherPipesWork_bindsOnceFreed() throws Exception {
    ProtocolKey key = TestDaemon.writeKey(dir.resolve("pipe.key"));
    ServerSocket owner = new ServerSocket();
    owner.bind(local(0), 1);
    int taken = owner.getLocalPort();
    InetSocketAddress other = local(freePort());
    String refusal = "pipe [busy]: cannot listen on [127.0.0.1]:" + taken + ":";

    try (LogCapture logs = new LogCapture();
        RecordingTarget target = new RecordingTarget()) {
      long start = System.nanoTime();
      try (TestDaemon daemon =
          TestDaemon.start(
              String.format(
                  """
                  pekko-spiped {
                    restart { min-backoff = 200ms, max-backoff = 1s }
                    pipe-defaults.timeout = 1s
                    pipes {
                      busy { mode = decrypt, key-file = "%1$s"
                        source = "[127.0.0.1]:%2$d", target = "%3$s" }
                      other { mode = decrypt, key-file = "%1$s"
                        source = "[127.0.0.1]:%4$d", target = "%3$s" }
                    }
                  }
                  """,
                  dir.resolve("pipe.key"),
                  taken,
                  target.endpoint(),
                  other.getPort()))) {
        // Three refusals, each logged: the pipe was restarted twice and tried again each time.
        await(
            Duration.ofSeconds(10),
            () -> logs.linesContaining(refusal).size() >= 3,
            () -> "refusals: " + logs.linesContaining("cannot listen"));
        long toThirdMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        List<String> refusals = logs.linesContaining(refusal);
        assertTrue(refusals.get(0).startsWith("ERROR "), refusals.get(0));
        // Backoff 200 ms then 400 ms (less up to 20% jitter would still be above 500 ms).
        assertTrue(toThirdMillis >= 500, "three attempts within " + toThirdMillis + " ms");

        assertEchoed(other, key);
        assertFalse(daemon.daemon().listening().toCompletableFuture().isDone());

        owner.close();
        daemon.daemon().listening().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEchoed(local(taken), key);
      }
    } finally {
      owner.close();
    }
  }

  // ---- helpers ----

  private TestDaemon startDecrypting(InetSocketAddress source, int targetPort) throws Exception {
    return TestDaemon.startListening(
        String.format(
            """
            pekko-spiped {
              logging.repeat-interval = 0s
              pipes.dec { mode = decrypt, key-file = "%s", timeout = %dms
                source = "[127.0.0.1]:%d", target = "[127.0.0.1]:%d" }
            }
            """,
            dir.resolve("pipe.key"),
            TIMEOUT.toMillis(),
            source.getPort(),
            targetPort));
  }

  private static void assertEchoed(InetSocketAddress pipe, ProtocolKey key) throws Exception {
    try (RawClient good = RawClient.connect(pipe, key, ForwardSecrecy.ON)) {
      good.handshake();
      good.sendPacket(GOOD);
      assertArrayEquals(GOOD, good.readPacket(), "echo through " + pipe);
    }
  }

  /** Reads and drops until EOF or a reset; how long that took. */
  private static Duration awaitEofOrReset(Socket socket, Duration limit) throws IOException {
    long start = System.nanoTime();
    socket.setSoTimeout((int) limit.toMillis());
    InputStream in = socket.getInputStream();
    byte[] sink = new byte[64 * 1024];
    try {
      while (in.read(sink) >= 0) {
        if (System.nanoTime() - start > limit.toNanos()) {
          throw new AssertionError("still receiving after " + limit);
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("neither EOF nor a reset within " + limit, e);
    } catch (SocketException e) {
      // A reset: the other way for the pipe to close.
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  static byte[] chunk(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /**
   * A listening socket that never accepts, its backlog already full: a connect to it gets no
   * answer at all, as from a host that is down, but stays on loopback.
   */
  private static final class Blackhole implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> fillers = new ArrayList<>();

    private Blackhole(ServerSocket listener) {
      this.listener = listener;
    }

    static Blackhole start() throws IOException {
      ServerSocket listener = new ServerSocket();
      listener.bind(local(0), 1);
      Blackhole blackhole = new Blackhole(listener);
      // Linux holds backlog + 1 connections, then drops further SYNs: fill until one hangs.
      for (int i = 0; i < 16; i++) {
        Socket filler = new Socket();
        blackhole.fillers.add(filler);
        try {
          filler.connect(listener.getLocalSocketAddress(), 300);
        } catch (SocketTimeoutException e) {
          return blackhole;
        }
      }
      blackhole.close();
      throw new IllegalStateException("every connect to a full backlog was answered");
    }

    int port() {
      return listener.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      for (Socket filler : fillers) {
        filler.close();
      }
      listener.close();
    }
  }

  /** An encrypting and a decrypting pipe in one daemon, in front of a target. */
  private static final class PipePair implements AutoCloseable {
    private final TestDaemon daemon;
    private final InetSocketAddress entry;

    private PipePair(TestDaemon daemon, InetSocketAddress entry) {
      this.daemon = daemon;
      this.entry = entry;
    }

    static PipePair start(Path dir, RecordingTarget target) throws Exception {
      TestDaemon.writeKey(dir.resolve("pair.key"));
      InetSocketAddress entry = local(freePort());
      int middle = freePort();
      TestDaemon daemon =
          TestDaemon.startListening(
              String.format(
                  """
                  pekko-spiped.pipes {
                    enc { mode = encrypt, key-file = "%1$s", timeout = 2s
                      source = "[127.0.0.1]:%2$d", target = "[127.0.0.1]:%3$d" }
                    dec { mode = decrypt, key-file = "%1$s", timeout = 2s
                      source = "[127.0.0.1]:%3$d", target = "%4$s" }
                  }
                  """,
                  dir.resolve("pair.key"),
                  entry.getPort(),
                  middle,
                  target.endpoint()));
      return new PipePair(daemon, entry);
    }

    /** A plaintext client whose first 64 KiB came back, so the whole chain is up. */
    Socket connectAndEcho() throws IOException {
      Socket client = new Socket();
      client.connect(entry, 5_000);
      client.setSoTimeout(5_000);
      byte[] sent = chunk(64 * 1024, 1);
      client.getOutputStream().write(sent);
      byte[] echoed = client.getInputStream().readNBytes(sent.length);
      assertArrayEquals(sent, echoed, "echo before the fault");
      return client;
    }

    void awaitNoneActive() throws InterruptedException {
      await(
          PROMPTLY,
          () -> daemon.active("enc") == 0 && daemon.active("dec") == 0,
          () -> "active: enc " + daemon.active("enc") + ", dec " + daemon.active("dec"));
    }

    @Override
    public void close() {
      daemon.close();
    }
  }
}
