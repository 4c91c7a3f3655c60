package org.pekkospiped.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changing keys without a flag day: our decrypting daemon, run as its own process, holds
 * {@code key-file = [new, old]} while real spiped clients still hold either key.
 *
 * <pre>
 *   client --plain--> spiped -e (old / new / other key) --spiped protocol--> pekko-spiped -d
 *                                                                             --plain--> echo
 * </pre>
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KeyRotationTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @RegisterExtension final Fixtures fixtures = new Fixtures();

  @TempDir Path tempDir;

  // Goal: both keys of the list are accepted, byte for byte; a key not on it never reaches the
  // target.
  @Test
  void decryptingEndWithNewAndOldKey_servesBothClients_refusesThirdKeyBeforeTarget()
      throws Exception {
    EchoServer echo = fixtures.use(EchoServer.start());
    Path newKey = KeyFiles.random(tempDir, 1);
    Path oldKey = KeyFiles.random(tempDir, 2);
    Path otherKey = KeyFiles.random(tempDir, 3);
    InetSocketAddress source = Ports.freeLoopbackAddress();
    String pipe = decryptingPipe(source, echo.address(), newKey, oldKey);
    OurDaemonProcess ours =
        fixtures.use(OurDaemonProcess.startWithConfig(tempDir, pipe, Ports.spipedSyntax(source)));

    assertEchoedExactly(spipedClient(source, oldKey), 1);
    assertEchoedExactly(spipedClient(source, newKey), 2);

    byte[] request = RandomBytes.of(3, 1024);
    PlainClient.Received refused =
        PlainClient.exchangeUntilClosed(spipedClient(source, otherKey), request, TIMEOUT);

    assertEquals(0, refused.bytes().length, "a client with another key got bytes back");
    assertEquals(2, echo.acceptedConnections(), "the target saw the client with another key");
    assertTrue(
        Poll.until(TIMEOUT, () -> ours.stderr().contains("handshake failed")),
        "no line about the failed handshake:\n" + ours.stderr());
  }

  /** Sends a MiB through the client's spiped, in both directions, and compares digests. */
  private static void assertEchoedExactly(InetSocketAddress client, long seed) throws Exception {
    byte[] request = RandomBytes.of(seed, 1024 * 1024);
    byte[] echoed = PlainClient.exchange(client, request, TIMEOUT);
    assertEquals(Digests.sha256(request), Digests.sha256(echoed));
  }

  /** Starts a real spiped -e with key towards our daemon; returns where its clients connect. */
  private InetSocketAddress spipedClient(InetSocketAddress ours, Path key) {
    InetSocketAddress entry = Ports.freeLoopbackAddress();
    fixtures.use(SpipedProcess.encrypting(entry, ours, key));
    return entry;
  }

  private static String decryptingPipe(
      InetSocketAddress source, InetSocketAddress target, Path newKey, Path oldKey) {
    return "pekko-spiped.pipes.back {\n"
        + "  mode = decrypt\n"
        + "  source = \"" + Ports.spipedSyntax(source) + "\"\n"
        + "  target = \"" + Ports.spipedSyntax(target) + "\"\n"
        + "  key-file = [\"" + newKey + "\", \"" + oldKey + "\"]\n"
        + "}\n";
  }
}
