package org.pekkospiped.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The scenarios run against two real spipeds: this proves the fixtures, and records the behaviour
 * of spiped 1.6.2 that our pipe must match. The extra tests pin down facts about spiped that
 * /work/notes/spiped-observed.md reports.
 */
class SpipedFixtureTest extends PipePairScenarios {

  @Override
  protected AutoCloseable startEncryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags) {
    return SpipedProcess.encrypting(source, target, keyFile, flags.toArray(String[]::new));
  }

  @Override
  protected AutoCloseable startDecryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags) {
    return SpipedProcess.decrypting(source, target, keyFile, flags.toArray(String[]::new));
  }

  @Test
  void spiped_missingKeyFile_exitsOneAndNamesTheFile() {
    Path missing = tempDir.resolve("no-such.key");
    List<String> args =
        SpipedProcess.arguments(
            "-d", Ports.freeLoopbackAddress(), Ports.freeLoopbackAddress(), missing);

    SpipedProcess spiped = use(SpipedProcess.launch(args));

    assertEquals(Optional.of(1), spiped.awaitExit(TIMEOUT));
    assertTrue(spiped.stderr().contains("Cannot open file: " + missing), spiped::stderr);
  }

  // Users asked for the target connection to wait for a proven key; 1.6.2 does not wait.
  @Test
  void spipedDecrypting_connectsTargetBeforeAnyHandshakeByte() throws Exception {
    EchoServer echo = use(EchoServer.start());
    InetSocketAddress source = Ports.freeLoopbackAddress();
    use(SpipedProcess.decrypting(source, echo.address(), key()));

    try (Socket silent = PlainClient.connect(source, TIMEOUT)) {
      Threads.await(echo.firstAccepted(), TIMEOUT, "target connection from a silent peer");
    }
  }

  @Test
  void spiped_connectionLimitReached_warnsOnStderr() throws Exception {
    EchoServer echo = use(EchoServer.start());
    InetSocketAddress source = Ports.freeLoopbackAddress();
    SpipedProcess encrypting =
        use(SpipedProcess.encrypting(source, echo.address(), key(), "-n", "1"));

    try (Socket client = PlainClient.connect(source, TIMEOUT)) {
      Threads.await(echo.firstAccepted(), TIMEOUT, "the connection that reaches the limit");
      boolean warned =
          Poll.until(TIMEOUT, () -> encrypting.stderr().contains("Maximum number of connections"));
      assertTrue(warned, encrypting::toString);
    }
  }

  @Test
  void spipedDecrypting_unixSocketSource_servesSpipe() {
    EchoServer echo = use(EchoServer.start());
    String socket = tempDir.resolve("spiped.sock").toString();
    List<String> args =
        List.of(
            "-d", "-s", socket, "-t", Ports.spipedSyntax(echo.address()), "-k", key().toString());
    use(SpipedProcess.start(args));
    byte[] stdin = RandomBytes.of(20, 3000);

    SpipeProcess.Result spipe = SpipeProcess.run(socket, key(), stdin);

    assertEquals(0, spipe.exitCode(), spipe::toString);
    assertArrayEquals(stdin, spipe.stdout());
  }

  // spiped checks for SIGTERM about once a second, so an idle daemon takes up to 1 s to exit.
  @Test
  void spiped_sigtermWhileIdle_exitsZero() {
    SpipedProcess spiped =
        use(
            SpipedProcess.encrypting(
                Ports.freeLoopbackAddress(), Ports.freeLoopbackAddress(), key()));

    spiped.terminate();

    assertEquals(Optional.of(0), spiped.awaitExit(Duration.ofSeconds(5)), spiped::toString);
  }
}
