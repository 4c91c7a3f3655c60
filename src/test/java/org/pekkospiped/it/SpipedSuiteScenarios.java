package org.pekkospiped.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * spiped's own test scenarios (its {@code tests/} directory), run with pekko-spiped's jar, as its
 * own process with spiped's command line, in place of spiped and of spipe:
 *
 * <pre>
 *   client --> ours -e   --> ours -d   --> target     (OURS_BOTH_ENDS)
 *   client --> ours -e   --> spiped -d --> target     (OURS_INTO_SPIPED)
 *   client --> spiped -e --> ours -d   --> target     (SPIPED_INTO_OURS)
 *   file   --> pekko-spiped spipe | spipe --> ours -d or spiped -d --> target
 * </pre>
 *
 * <p>The target echoes every connection unless a test plans otherwise. Every process starts once
 * for the class (a JVM takes about a second to start); a subclass picks the sockets, TCP or Unix,
 * that all of them use. After each test every end must still be running.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 40, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class SpipedSuiteScenarios {

  /** Bound on any one exchange. */
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  /** Bound on a JVM starting and binding its source, with other JVMs starting beside it. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  /** The length of the idle hold in spiped's test 02. */
  private static final Duration IDLE_HOLD = Duration.ofSeconds(2);

  /** The files sent whole: a MiB and a bit, so the last packet is a partial one. */
  private static final int FILE_SIZE = (1 << 20) + 17;

  /** The slow echo's pace, as in spiped's test 08. */
  private static final int SLOW_BYTES_PER_SECOND = 1000;

  /** How much a slow target reads at that pace before it reads at full speed. */
  private static final int SLOW_BYTES = 2000;

  /** Which implementation runs each end of a pipe pair. */
  enum Pair {
    OURS_BOTH_ENDS,
    OURS_INTO_SPIPED,
    SPIPED_INTO_OURS
  }

  /** Which spipe runs, and which decrypting end it talks to. */
  enum SpipeRun {
    OUR_SPIPE_INTO_OURS,
    OUR_SPIPE_INTO_SPIPED,
    SPIPE_INTO_OURS
  }

  private Transport transport;
  private Path dir;
  private Path key;
  private ScenarioTarget target;
  private String ourDecryptingSource;
  private String spipedDecryptingSource;
  private final Map<Pair, String> entries = new EnumMap<>(Pair.class);
  private final List<AutoCloseable> ends = new ArrayList<>();

  @RegisterExtension
  final TestExecutionExceptionHandler attachDiagnostics =
      (context, failure) -> {
        AssertionError diagnostics = new AssertionError("fixtures at failure:\n" + describeEnds());
        diagnostics.setStackTrace(new StackTraceElement[0]);
        failure.addSuppressed(diagnostics);
        throw failure;
      };

  /** The sockets every process of this class uses; Unix socket files go in {@code dir}. */
  protected abstract Transport transport(Path dir);

  /**
   * A size that a sender cannot get rid of while the target reads slowly: more than the sockets
   * of a whole chain, both ends' included, buffer between them.
   */
  protected abstract int moreThanBuffered();

  @BeforeAll
  final void startEnds(@TempDir Path dir) throws Exception {
    this.dir = dir;
    transport = transport(dir);
    key = KeyFiles.random(dir, 1);
    target = ScenarioTarget.start(transport, transport.freeAddress("target"));
    ourDecryptingSource = transport.freeAddress("ours-d");
    spipedDecryptingSource = transport.freeAddress("spiped-d");

    // The JVMs start side by side; only then does anything wait for them.
    List<Started> ours = new ArrayList<>();
    ours.add(startOurs("-d", ourDecryptingSource, target.address()));
    entries.put(Pair.OURS_BOTH_ENDS, transport.freeAddress("ours-e-into-ours"));
    ours.add(startOurs("-e", entries.get(Pair.OURS_BOTH_ENDS), ourDecryptingSource));
    entries.put(Pair.OURS_INTO_SPIPED, transport.freeAddress("ours-e-into-spiped"));
    ours.add(startOurs("-e", entries.get(Pair.OURS_INTO_SPIPED), spipedDecryptingSource));

    ends.add(SpipedProcess.start(spipedArguments("-d", spipedDecryptingSource, target.address())));
    entries.put(Pair.SPIPED_INTO_OURS, transport.freeAddress("spiped-e-into-ours"));
    ends.add(
        SpipedProcess.start(
            spipedArguments("-e", entries.get(Pair.SPIPED_INTO_OURS), ourDecryptingSource)));

    for (Started started : ours) {
      try {
        Ports.awaitListening(started.process().handle(), started.source(), START_TIMEOUT);
      } catch (IllegalStateException e) {
        throw new IllegalStateException("pekko-spiped did not start: " + started.process(), e);
      }
    }
  }

  private record Started(ExternalProcess process, String source) {}

  private Started startOurs(String mode, String source, String to) {
    ExternalProcess process =
        OurProcess.start(new byte[0], mode, "-s", source, "-t", to, "-k", key.toString());
    ends.add(process);
    return new Started(process, source);
  }

  private List<String> spipedArguments(String mode, String source, String to) {
    return List.of(mode, "-s", source, "-t", to, "-k", key.toString());
  }

  @AfterEach
  final void everyEndStillRuns() {
    for (AutoCloseable end : ends) {
      boolean alive =
          end instanceof ExternalProcess process
              ? process.isAlive()
              : ((SpipedProcess) end).isAlive();
      assertTrue(alive, () -> "an end exited: " + end);
    }
  }

  @AfterAll
  final void stopEnds() throws Exception {
    for (AutoCloseable end : ends) {
      end.close();
    }
    if (target != null) {
      target.close();
    }
  }

  private String describeEnds() {
    StringBuilder all = new StringBuilder("* ").append(target).append('\n');
    ends.forEach(end -> all.append("* ").append(end).append('\n'));
    return all.toString();
  }

  // spiped test 01: a connection that is opened and closed at once still goes all the way.
  @ParameterizedTest
  @EnumSource(Pair.class)
  void openAndClose_oneConnection_reachesTargetAndEnds(Pair pair) throws Exception {
    int index = target.acceptedConnections();

    ScenarioClient.connect(transport, entries.get(pair)).close();

    assertEquals(0L, Threads.await(target.ended(index), TIMEOUT, "the target's connection"));
    assertEquals(index + 1, target.acceptedConnections(), "one connection, not more");
  }

  // spiped test 02: open connections that carry nothing for 2 s are kept, and still work. The
  // three pairs hold their connections at the same time, so the class waits 2 s, not 6.
  @Test
  void idleTwoSeconds_connectionsKept_thenEcho() throws Exception {
    int first = target.acceptedConnections();
    byte[] ping = RandomBytes.of(2, 1000);
    Map<Pair, ScenarioClient> clients = new EnumMap<>(Pair.class);

    try {
      for (Pair pair : Pair.values()) {
        clients.put(pair, ScenarioClient.connect(transport, entries.get(pair)));
      }
      for (int i = 0; i < clients.size(); i++) {
        Threads.await(target.accepted(first + i), TIMEOUT, "the connections reaching the target");
      }

      // The hold: nothing may arrive in 2 s, neither a byte nor EOF nor a reset.
      CompletableFuture<Object> anyActivity =
          CompletableFuture.anyOf(
              clients.values().stream()
                  .map(ScenarioClient::firstActivity)
                  .toArray(CompletableFuture[]::new));
      assertThrows(
          TimeoutException.class,
          () -> anyActivity.get(IDLE_HOLD.toMillis(), TimeUnit.MILLISECONDS),
          () -> "activity while idle: " + clients);
      for (int i = 0; i < clients.size(); i++) {
        assertFalse(target.ended(first + i).isDone(), "a target connection ended while idle");
      }

      for (Map.Entry<Pair, ScenarioClient> entry : clients.entrySet()) {
        ScenarioClient client = entry.getValue();
        client.send(ping);
        assertArrayEquals(
            ping, client.awaitReceived(ping.length, TIMEOUT), "echo via " + entry.getKey());
        client.shutdownOutput();
        assertArrayEquals(ping, client.awaitEof(TIMEOUT), "EOF via " + entry.getKey());
      }
    } finally {
      for (ScenarioClient client : clients.values()) {
        client.close();
      }
    }
  }

  // spiped test 03: two connections open at once, each with its own bytes.
  @ParameterizedTest
  @EnumSource(Pair.class)
  void twoConnectionsAtOnce_eachEchoedItsOwnBytes(Pair pair) throws Exception {
    int first = target.acceptedConnections();
    byte[] one = RandomBytes.of(31, 200_000);
    byte[] two = RandomBytes.of(32, 300_000);

    try (ScenarioClient a = ScenarioClient.connect(transport, entries.get(pair));
        ScenarioClient b = ScenarioClient.connect(transport, entries.get(pair))) {
      Threads.await(target.accepted(first + 1), TIMEOUT, "both connections reaching the target");

      a.sendAndHalfClose(one);
      b.sendAndHalfClose(two);

      assertEquals(Digests.sha256(one), Digests.sha256(a.awaitEof(TIMEOUT)));
      assertEquals(Digests.sha256(two), Digests.sha256(b.awaitEof(TIMEOUT)));
    }
  }

  // spiped test 05: a file through a pipe pair and back arrives unchanged.
  @ParameterizedTest
  @EnumSource(Pair.class)
  void fileThroughPipePair_echoDigestMatches(Pair pair) throws Exception {
    byte[] file = writeFile("pair-" + pair, RandomBytes.of(5, FILE_SIZE));

    byte[] echoed;
    try (ScenarioClient client = ScenarioClient.connect(transport, entries.get(pair))) {
      client.sendAndHalfClose(file);
      echoed = client.awaitEof(TIMEOUT);
    }

    assertEquals(file.length, echoed.length);
    assertEquals(Digests.sha256(file), Digests.sha256(echoed));
  }

  // spiped test 04: spipe < file, against a decrypting end, prints the file back.
  @ParameterizedTest
  @EnumSource(SpipeRun.class)
  void fileThroughSpipe_stdoutDigestMatches(SpipeRun run) throws Exception {
    byte[] file = writeFile("spipe-" + run, RandomBytes.of(4, FILE_SIZE));

    SpipeProcess.Result result =
        switch (run) {
          case OUR_SPIPE_INTO_OURS -> ourSpipe(ourDecryptingSource, file);
          case OUR_SPIPE_INTO_SPIPED -> ourSpipe(spipedDecryptingSource, file);
          case SPIPE_INTO_OURS -> SpipeProcess.run(ourDecryptingSource, key, file);
        };

    assertEquals(0, result.exitCode(), result::toString);
    assertEquals("", result.stderr());
    assertEquals(file.length, result.stdout().length);
    assertEquals(Digests.sha256(file), Digests.sha256(result.stdout()));
  }

  // spiped test 06: spipe exits 1, with one line saying why, when nothing listens at -t.
  @Test
  void spipe_targetNotListening_exitsOneWithOneLineReason() throws Exception {
    String nobody = transport.freeAddress("nobody");

    SpipeProcess.Result result = ourSpipe(nobody, "hello".getBytes());

    assertEquals(1, result.exitCode(), result::toString);
    assertEquals(0, result.stdout().length);
    List<String> lines = result.stderr().lines().toList();
    assertEquals(1, lines.size(), result::stderr);
    String line = lines.get(0);
    assertTrue(line.startsWith("pekko-spiped: spipe: "), line);
    assertTrue(line.contains(nobody.substring(nobody.lastIndexOf(':') + 1)), line);
  }

  // spiped test 08, pair side: a target reading about 1000 bytes/s holds the sender back
  // through both ends; once it reads at full speed again, every byte arrives.
  @ParameterizedTest
  @EnumSource(Pair.class)
  void slowTarget_senderHeldBack_everyByteArrives(Pair pair) throws Exception {
    byte[] payload = RandomBytes.of(8, moreThanBuffered());
    ScenarioTarget.SlowReader slow = target.planSlowRead(SLOW_BYTES_PER_SECOND, SLOW_BYTES);

    long slowMillis;
    long sentWhileSlow;
    try (ScenarioClient client = ScenarioClient.connect(transport, entries.get(pair))) {
      CompletableFuture<Void> sending = client.sendAndHalfClose(payload);
      slowMillis = Threads.await(slow.slowPhaseOver(), TIMEOUT, "the slow phase");
      sentWhileSlow = client.sent();
      slow.resume();

      Threads.await(sending, TIMEOUT, "the rest of the payload sent");
      assertEquals(0, client.awaitEof(TIMEOUT).length, "the target sends nothing back");
    }

    long paceMillis = SLOW_BYTES * 1000L / SLOW_BYTES_PER_SECOND;
    assertTrue(slowMillis >= paceMillis * 3 / 4, "not slow: " + slowMillis + " ms");
    assertTrue(
        sentWhileSlow < payload.length,
        "all "
            + payload.length
            + " bytes taken while the target read "
            + SLOW_BYTES
            + ": nothing held the sender back");
    ScenarioTarget.Received received = Threads.await(slow.received(), TIMEOUT, "the target's end");
    assertEquals(payload.length, received.count());
    assertEquals(Digests.sha256(payload), received.sha256());
  }

  // spiped test 08: spipe < file through a target echoing 1000 bytes/s; stdin ends long
  // before the echo does, and the output is still the whole file.
  @Test
  void fileThroughSpipe_slowEchoTarget_stdoutDigestMatches() throws Exception {
    byte[] file = writeFile("spipe-slow", RandomBytes.of(9, 3000));
    ScenarioTarget.SlowReader slow = target.planSlowEcho(SLOW_BYTES_PER_SECOND);

    SpipeProcess.Result result = ourSpipe(ourDecryptingSource, file);

    assertEquals(0, result.exitCode(), result::toString);
    assertEquals(Digests.sha256(file), Digests.sha256(result.stdout()));
    long slowMillis = Threads.await(slow.slowPhaseOver(), TIMEOUT, "the slow echo");
    assertTrue(slowMillis >= 2500, "the target was not slow: " + slowMillis + " ms");
  }

  private SpipeProcess.Result ourSpipe(String to, byte[] stdin) {
    try (ExternalProcess spipe =
        OurProcess.start(stdin, "spipe", "-t", to, "-k", key.toString())) {
      Optional<Integer> exitCode = spipe.awaitExit(TIMEOUT);
      if (exitCode.isEmpty()) {
        throw new AssertionError("our spipe still running after " + TIMEOUT + ": " + spipe);
      }
      return new SpipeProcess.Result(exitCode.get(), spipe.stdout(TIMEOUT), spipe.stderr());
    }
  }

  private byte[] writeFile(String name, byte[] content) throws Exception {
    Path file = Files.write(dir.resolve(name + ".bin"), content);
    return Files.readAllBytes(file);
  }
}
