package org.pekkospiped.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * End-to-end scenarios for a pair of pipe ends on loopback:
 *
 * <pre>
 *   client --plain--> encrypting end --spiped protocol--> decrypting end --plain--> target
 * </pre>
 *
 * <p>A subclass says how each end is started; every scenario then runs against that pair. Run with
 * two real spipeds ({@code SpipedFixtureTest}) they record the behaviour our pipe must match; a
 * subclass per combination (ours, spiped), (spiped, ours), (ours, ours) checks it.
 *
 * <p>Fixtures made with {@link #use} are closed after each test, and their diagnostics (command
 * lines, stderr) are attached to a failing test's exception.
 */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class PipePairScenarios {

  /** Bound on any one exchange in a scenario. */
  protected static final Duration TIMEOUT = Duration.ofSeconds(10);

  private static final long KEY_SEED = 1;
  private static final long OTHER_KEY_SEED = 2;

  @TempDir protected Path tempDir;

  private final Deque<Object> fixtures = new ArrayDeque<>();

  @RegisterExtension
  final TestExecutionExceptionHandler attachFixtureDiagnostics =
      (context, failure) -> {
        AssertionError diagnostics =
            new AssertionError("fixtures at failure:\n" + describeFixtures());
        // Where the diagnostics were gathered says nothing; the fixtures' state says it all.
        diagnostics.setStackTrace(new StackTraceElement[0]);
        failure.addSuppressed(diagnostics);
        throw failure;
      };

  /**
   * Starts an encrypting end (spiped {@code -e}) listening for plaintext on {@code source} and
   * connecting to {@code target}, with spiped command-line {@code flags} such as {@code -f}, {@code
   * -n 1}, {@code -o 1}. Returns once {@code source} accepts connections.
   */
  protected abstract AutoCloseable startEncryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception;

  /** As {@link #startEncryptingEnd}, for a decrypting end (spiped {@code -d}). */
  protected abstract AutoCloseable startDecryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception;

  /** A running pair of ends in front of a target. */
  protected record PipePair(InetSocketAddress entry, InetSocketAddress decryptingSource) {}

  /** Registers a fixture to close after the test (last registered, first closed). */
  protected final <T> T use(T fixture) {
    fixtures.push(fixture);
    return fixture;
  }

  @AfterEach
  final void closeFixtures() throws Exception {
    Exception first = null;
    while (!fixtures.isEmpty()) {
      if (fixtures.pop() instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          first = first == null ? e : first;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private String describeFixtures() {
    StringBuilder all = new StringBuilder();
    for (Object fixture : fixtures) {
      all.append("* ").append(fixture).append('\n');
    }
    return all.toString();
  }

  private Path key;

  /** The test key: 32 bytes, the same for every test. */
  protected final Path key() {
    if (key == null) {
      key = KeyFiles.random(tempDir, KEY_SEED);
    }
    return key;
  }

  /** Both ends with the test key and no flags, in front of {@code target}. */
  protected final PipePair openPipe(InetSocketAddress target) throws Exception {
    return openPipe(target, key(), List.of(), key(), List.of());
  }

  /** Both ends with their own key files and flags; the decrypting end is started first. */
  protected final PipePair openPipe(
      InetSocketAddress target,
      Path encryptingKey,
      List<String> encryptingFlags,
      Path decryptingKey,
      List<String> decryptingFlags)
      throws Exception {
    InetSocketAddress decryptingSource = Ports.freeLoopbackAddress();
    use(startDecryptingEnd(decryptingSource, target, decryptingKey, decryptingFlags));

    InetSocketAddress entry = Ports.freeLoopbackAddress();
    use(startEncryptingEnd(entry, decryptingSource, encryptingKey, encryptingFlags));
    return new PipePair(entry, decryptingSource);
  }

  // Sizes around the 1024-byte packet payload, and 1060, the size of a packet on the wire.
  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 1023, 1024, 1025, 1060})
  void roundTrip_payloadOfSize_echoedByteExact(int size) throws Exception {
    EchoServer echo = use(EchoServer.start());
    PipePair pipe = openPipe(echo.address());
    byte[] payload = RandomBytes.of(size, size);

    byte[] echoed = PlainClient.exchange(pipe.entry(), payload, TIMEOUT);

    assertArrayEquals(payload, echoed);
  }

  @Test
  void roundTrip_eightMiB_echoedDigestMatches() throws Exception {
    EchoServer echo = use(EchoServer.start());
    PipePair pipe = openPipe(echo.address());
    byte[] payload = RandomBytes.of(8, 8 << 20);

    byte[] echoed = PlainClient.exchange(pipe.entry(), payload, TIMEOUT);

    assertEquals(payload.length, echoed.length);
    assertEquals(Digests.sha256(payload), Digests.sha256(echoed));
  }

  // Goal: a client that half-closes after its request (nc -N, spipe < file) gets the whole reply.
  @Test
  void halfClosedRequest_replySentAfterEof_arrivesWhole() throws Exception {
    byte[] reply = RandomBytes.of(3, 256 << 10);
    DigestingServer target =
        use(DigestingServer.start(reply, DigestingServer.Reply.AFTER_REQUEST_EOF));
    PipePair pipe = openPipe(target.address());
    byte[] request = RandomBytes.of(4, 64 << 10);

    byte[] received = PlainClient.exchange(pipe.entry(), request, TIMEOUT);

    DigestingServer.Exchange seen = Threads.await(target.exchange(0), TIMEOUT, "target exchange");
    assertEquals(Digests.sha256(request), seen.receivedSha256());
    assertEquals(Digests.sha256(reply), Digests.sha256(received));
  }

  @Test
  void bothDirectionsAtOnce_fourMiBEach_digestsMatch() throws Exception {
    byte[] reply = RandomBytes.of(5, 4 << 20);
    DigestingServer target = use(DigestingServer.start(reply, DigestingServer.Reply.IMMEDIATELY));
    PipePair pipe = openPipe(target.address());
    byte[] request = RandomBytes.of(6, 4 << 20);

    byte[] received = PlainClient.exchange(pipe.entry(), request, TIMEOUT);

    DigestingServer.Exchange seen = Threads.await(target.exchange(0), TIMEOUT, "target exchange");
    assertEquals(request.length, seen.received());
    assertEquals(Digests.sha256(request), seen.receivedSha256());
    assertEquals(Digests.sha256(reply), Digests.sha256(received));
  }

  // Goal: the target's EOF half-closes only the client's read side; the client can still send.
  @Test
  void targetHalfClosesFirst_clientStillSendsAfterwards() throws Exception {
    byte[] banner = RandomBytes.of(7, 10_000);
    DigestingServer target = use(DigestingServer.start(banner, DigestingServer.Reply.IMMEDIATELY));
    PipePair pipe = openPipe(target.address());
    byte[] lateRequest = RandomBytes.of(8, 50_000);

    try (Socket client = PlainClient.connect(pipe.entry(), TIMEOUT)) {
      PlainClient.Received first = PlainClient.readUntilClosed(client, TIMEOUT);
      assertFalse(first.reset(), "target's half-close arrived as a reset");
      assertArrayEquals(banner, first.bytes());

      Threads.await(PlainClient.sendAndHalfClose(client, lateRequest), TIMEOUT, "late request");
    }

    DigestingServer.Exchange seen = Threads.await(target.exchange(0), TIMEOUT, "target exchange");
    assertEquals(Digests.sha256(lateRequest), seen.receivedSha256());
  }

  @Test
  void concurrentClients_fourAtOnce_eachEchoedByteExact() throws Exception {
    EchoServer echo = use(EchoServer.start());
    PipePair pipe = openPipe(echo.address());

    List<byte[]> payloads = new ArrayList<>();
    List<CompletableFuture<byte[]>> echoes = new ArrayList<>();
    for (int client = 0; client < 4; client++) {
      byte[] payload = RandomBytes.of(100 + client, 300_000 + client);
      payloads.add(payload);
      echoes.add(
          Threads.async(
              "client-" + client, () -> PlainClient.exchange(pipe.entry(), payload, TIMEOUT)));
    }

    for (int client = 0; client < 4; client++) {
      byte[] echoed = Threads.await(echoes.get(client), TIMEOUT, "echo to client " + client);
      assertArrayEquals(payloads.get(client), echoed, "client " + client);
    }
    assertEquals(4, echo.acceptedConnections());
  }

  @Test
  void curl_throughPipe_fetchesFourMiBFileFromNginx() throws Exception {
    byte[] file = RandomBytes.of(9, 4 << 20);
    NginxServer nginx = use(NginxServer.serving(Map.of("/blob.bin", file)));
    PipePair pipe = openPipe(nginx.address());

    byte[] fetched = Curl.fetch(pipe.entry(), "/blob.bin");

    assertEquals(file.length, fetched.length);
    assertEquals(Digests.sha256(file), Digests.sha256(fetched));
  }

  // spipe half-closes when its stdin ends and exits when the reply has ended.
  @Test
  void spipe_throughDecryptingEnd_echoesItsStdin() throws Exception {
    EchoServer echo = use(EchoServer.start());
    InetSocketAddress decryptingSource = Ports.freeLoopbackAddress();
    use(startDecryptingEnd(decryptingSource, echo.address(), key(), List.of()));
    byte[] stdin = RandomBytes.of(10, 100_000);

    SpipeProcess.Result spipe = SpipeProcess.run(decryptingSource, key(), stdin);

    assertEquals(0, spipe.exitCode(), spipe::toString);
    assertArrayEquals(stdin, spipe.stdout());
  }

  @Test
  void wrongKey_clientReceivesNothingAndIsClosed() throws Exception {
    EchoServer echo = use(EchoServer.start());
    Path otherKey = KeyFiles.random(tempDir, OTHER_KEY_SEED);
    PipePair pipe = openPipe(echo.address(), otherKey, List.of(), key(), List.of());

    PlainClient.Received received =
        PlainClient.exchangeUntilClosed(pipe.entry(), "secret".getBytes(), TIMEOUT);

    assertEquals(0, received.bytes().length);
  }

  @Test
  void forwardSecrecyRequired_peerWithout_connectionDropped() throws Exception {
    EchoServer echo = use(EchoServer.start());
    PipePair pipe = openPipe(echo.address(), key(), List.of("-f"), key(), List.of("-g"));

    PlainClient.Received received =
        PlainClient.exchangeUntilClosed(pipe.entry(), "hello".getBytes(), TIMEOUT);

    assertEquals(0, received.bytes().length);
  }

  @Test
  void noForwardSecrecyAtBothEnds_roundTripWorks() throws Exception {
    EchoServer echo = use(EchoServer.start());
    PipePair pipe = openPipe(echo.address(), key(), List.of("-f"), key(), List.of("-f"));
    byte[] payload = RandomBytes.of(11, 5000);

    assertArrayEquals(payload, PlainClient.exchange(pipe.entry(), payload, TIMEOUT));
  }

  @Test
  void noForwardSecrecyAtEncryptingEndOnly_roundTripWorks() throws Exception {
    EchoServer echo = use(EchoServer.start());
    PipePair pipe = openPipe(echo.address(), key(), List.of("-f"), key(), List.of());
    byte[] payload = RandomBytes.of(12, 5000);

    assertArrayEquals(payload, PlainClient.exchange(pipe.entry(), payload, TIMEOUT));
  }

  @Test
  void noForwardSecrecyAtDecryptingEndOnly_roundTripWorks() throws Exception {
    EchoServer echo = use(EchoServer.start());
    PipePair pipe = openPipe(echo.address(), key(), List.of(), key(), List.of("-f"));
    byte[] payload = RandomBytes.of(13, 5000);

    assertArrayEquals(payload, PlainClient.exchange(pipe.entry(), payload, TIMEOUT));
  }

  // Goal: -g holds on the client side too: a server that skips DH is dropped.
  @Test
  void forwardSecrecyRequiredAtEncryptingEnd_weakServer_connectionDropped() throws Exception {
    EchoServer echo = use(EchoServer.start());
    PipePair pipe = openPipe(echo.address(), key(), List.of("-g"), key(), List.of("-f"));

    PlainClient.Received received =
        PlainClient.exchangeUntilClosed(pipe.entry(), "hello".getBytes(), TIMEOUT);

    assertEquals(0, received.bytes().length);
  }

  // Goal: at the -n limit the end stops accepting; the next client waits in the listen backlog.
  @Test
  void connectionLimitOne_secondClientServedOnlyAfterFirstCloses() throws Exception {
    EchoServer echo = use(EchoServer.start());
    PipePair pipe = openPipe(echo.address(), key(), List.of("-n", "1"), key(), List.of());

    try (Socket first = PlainClient.connect(pipe.entry(), TIMEOUT);
        Socket second = PlainClient.connect(pipe.entry(), TIMEOUT)) {
      assertEquals('a', echoOneByte(first, 'a'));
      second.getOutputStream().write('b');

      // A negative wait has to be bounded by a guess; 300 ms is plenty on loopback.
      second.setSoTimeout(300);
      assertThrows(SocketTimeoutException.class, () -> second.getInputStream().read());
      assertEquals(1, echo.acceptedConnections());

      first.close();
      second.setSoTimeout((int) TIMEOUT.toMillis());
      assertEquals('b', second.getInputStream().read());
    }
  }

  private static int echoOneByte(Socket socket, char value) throws Exception {
    OutputStream out = socket.getOutputStream();
    out.write(value);
    out.flush();
    InputStream in = socket.getInputStream();
    return in.read();
  }

  // Goal: a peer that connects and never speaks is dropped after the -o timeout.
  @Test
  void silentPeer_atDecryptingEnd_droppedAfterHandshakeTimeout() throws Exception {
    EchoServer echo = use(EchoServer.start());
    InetSocketAddress decryptingSource = Ports.freeLoopbackAddress();
    use(startDecryptingEnd(decryptingSource, echo.address(), key(), List.of("-o", "1")));

    long start = System.nanoTime();
    PlainClient.Received received;
    try (Socket silent = PlainClient.connect(decryptingSource, TIMEOUT)) {
      received = PlainClient.readUntilClosed(silent, TIMEOUT);
    }
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertEquals(32, received.bytes().length, "the decrypting end's nonce, then nothing");
    assertTrue(elapsedMillis >= 500 && elapsedMillis < 5000, "dropped after " + elapsedMillis);
  }

  @Test
  void targetDown_encryptingEndClosesClientWithoutData() throws Exception {
    InetSocketAddress nobodyListens = Ports.freeLoopbackAddress();
    PipePair pipe = openPipe(nobodyListens);

    PlainClient.Received received =
        PlainClient.exchangeUntilClosed(pipe.entry(), "hello".getBytes(), TIMEOUT);

    assertEquals(0, received.bytes().length);
  }
}
