package org.pekkospiped.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to pekko-spiped run as its own process, as a service manager sends it:
 *
 * <pre>
 *   client --plain--> pekko-spiped -e --spiped protocol--> spiped -d --plain--> target
 * </pre>
 *
 * <p>The daemon must stop accepting at once, let open connections finish (up to
 * shutdown-timeout, then close them), and exit 0, as spiped does.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SigtermTest {

  /** Bound on any one wait; far above what each step takes on loopback. */
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private static final int MIB = 1024 * 1024;

  @RegisterExtension final Fixtures fixtures = new Fixtures();

  @TempDir Path tempDir;

  // Goal: a transfer under way when SIGTERM comes completes byte for byte; nobody new gets in;
  // the process exits 0 once that transfer is over, not before.
  @Test
  void sigtermDuringTransfer_refusesNewClients_finishesTransferExactly_thenExitsZero()
      throws Exception {
    DigestingServer target =
        fixtures.use(
            DigestingServer.start(
                RandomBytes.of(1, 2 * MIB), DigestingServer.Reply.AFTER_REQUEST_EOF));
    Path key = KeyFiles.random(tempDir, 1);
    InetSocketAddress decryptingSource = startSpipedDecrypting(target.address(), key);
    InetSocketAddress entry = Ports.freeLoopbackAddress();
    OurDaemonProcess ours = fixtures.use(startEncrypting(entry, decryptingSource, key));
    byte[] request = RandomBytes.of(2, 8 * MIB);

    try (Socket client = PlainClient.connect(entry, TIMEOUT)) {
      // The first half goes through while the daemon runs; the second waits for the SIGTERM.
      OutputStream out = client.getOutputStream();
      out.write(request, 0, request.length / 2);
      Threads.await(target.firstAccepted(), TIMEOUT, "the transfer reaching the target");

      ours.terminate();
      assertTrue(Poll.until(TIMEOUT, () -> !ours.listening()), "still listening after SIGTERM");
      assertThrows(ConnectException.class, () -> PlainClient.connect(entry, TIMEOUT).close());
      assertTrue(ours.isAlive(), "exited with a transfer under way");

      out.write(request, request.length / 2, request.length - request.length / 2);
      client.shutdownOutput();
      String replyDigest = Digests.sha256(client.getInputStream());

      DigestingServer.Exchange exchange =
          Threads.await(target.exchange(0), TIMEOUT, "the target's view of the transfer");
      assertEquals(Digests.sha256(request), exchange.receivedSha256());
      assertEquals(Digests.sha256(target.reply()), replyDigest);
    }

    assertEquals(Optional.of(0), ours.awaitExit(TIMEOUT));
    assertEquals(1, target.acceptedConnections(), "only the client from before SIGTERM");
    assertTrue(ours.stderr().contains("pipe [cli] stopped accepting; 1 connection still open"));
    assertTrue(ours.stderr().contains("pipe [cli]: all connections have ended"));
  }

  // Goal: with nothing open, SIGTERM ends the process at once, and its Unix socket goes with it.
  @Test
  void sigtermWhileIdle_exitsZeroPromptly_andRemovesUnixSocket() throws Exception {
    Path key = KeyFiles.random(tempDir, 1);
    Path socket = tempDir.resolve("front.sock");
    OurDaemonProcess ours =
        fixtures.use(
            OurDaemonProcess.start(
                socket.toString(),
                "-e",
                "-s",
                socket.toString(),
                "-t",
                Ports.spipedSyntax(Ports.freeLoopbackAddress()),
                "-k",
                key.toString()));

    long start = System.nanoTime();
    ours.terminate();
    Optional<Integer> status = ours.awaitExit(TIMEOUT);
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertEquals(Optional.of(0), status);
    assertTrue(elapsedMillis < 5000, "took " + elapsedMillis + " ms to exit");
    assertFalse(Files.exists(socket), "socket file left behind");
  }

  // Goal: a connection that never ends is closed when shutdown-timeout runs out, no sooner, and
  // the process still exits 0.
  @Test
  void sigtermWithStuckConnection_closesItAfterShutdownTimeout_thenExitsZero() throws Exception {
    EchoServer echo = fixtures.use(EchoServer.start());
    Path key = KeyFiles.random(tempDir, 1);
    InetSocketAddress decryptingSource = startSpipedDecrypting(echo.address(), key);
    InetSocketAddress entry = Ports.freeLoopbackAddress();
    String hocon =
        "pekko-spiped.shutdown-timeout = 1s\n"
            + "pekko-spiped.pipes.front {\n"
            + "  mode = encrypt\n"
            + "  source = \""
            + Ports.spipedSyntax(entry)
            + "\"\n"
            + "  target = \""
            + Ports.spipedSyntax(decryptingSource)
            + "\"\n"
            + "  key-file = \""
            + key
            + "\"\n"
            + "}\n";
    OurDaemonProcess ours =
        fixtures.use(OurDaemonProcess.startWithConfig(tempDir, hocon, Ports.spipedSyntax(entry)));

    try (Socket client = PlainClient.connect(entry, TIMEOUT)) {
      // An echoed byte proves the connection is open end to end; then it just stays open.
      client.getOutputStream().write('x');
      InputStream in = client.getInputStream();
      assertEquals('x', in.read());

      long start = System.nanoTime();
      ours.terminate();
      PlainClient.Received rest = PlainClient.readUntilClosed(client, TIMEOUT);
      long closedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertEquals(0, rest.bytes().length);
      assertTrue(closedAfterMillis >= 1000, "closed after " + closedAfterMillis + " ms");
      assertTrue(closedAfterMillis < 10_000, "closed after " + closedAfterMillis + " ms");
    }
    assertEquals(Optional.of(0), ours.awaitExit(TIMEOUT));
    assertTrue(
        ours.stderr().contains("pipe [front]: closing 1 connection still open after"
            + " shutdown-timeout 1s"));
  }

  /** Starts the spiped -d half of the pair in front of target; returns where it listens. */
  private InetSocketAddress startSpipedDecrypting(InetSocketAddress target, Path key) {
    InetSocketAddress source = Ports.freeLoopbackAddress();
    fixtures.use(SpipedProcess.decrypting(source, target, key));
    return source;
  }

  private static OurDaemonProcess startEncrypting(
      InetSocketAddress entry, InetSocketAddress decryptingSource, Path key) {
    return OurDaemonProcess.start(
        Ports.spipedSyntax(entry),
        "-e",
        "-s",
        Ports.spipedSyntax(entry),
        "-t",
        Ports.spipedSyntax(decryptingSource),
        "-k",
        key.toString());
  }
}
