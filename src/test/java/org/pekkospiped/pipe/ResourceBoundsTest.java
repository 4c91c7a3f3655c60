package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pekkospiped.pipe.Heap.mib;
import static org.pekkospiped.pipe.TestDaemon.await;
import static org.pekkospiped.pipe.TestDaemon.freePort;
import static org.pekkospiped.pipe.TestDaemon.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pekkospiped.metrics.PipeMetrics;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.ProtocolKey;

/**
 * What a pipe holds on to under load it cannot pass on: peers that stall in the handshake, a
 * target that reads slower than the source sends, a burst of connects past the limit. Each case
 * runs on real loopback sockets and bounds memory or connections by a figure a leak would cross.
 *
 * <p>Sizes are scaled down for CI. {@code -Dpekko-spiped.bounds=full} runs them at full size
 * (benchmarks/bounds.sh does that): 2,000 stalled handshakes, a target reading 1 MiB/s for a
 * minute while the source offers 256 MiB, a burst of 1,000 connects.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ResourceBoundsTest {
  private static final boolean FULL = "full".equals(System.getProperty("pekko-spiped.bounds"));
  private static final long MIB = 1024 * 1024;

  /** Stalled peers; the timeout leaves time to connect them all before the first is dropped. */
  private static final int STALLED = FULL ? 2_000 : 500;

  private static final Duration STALL_TIMEOUT = Duration.ofSeconds(FULL ? 6 : 3);

  /** Heap the pipe may hold per peer stalled in the handshake; about 9.5 KiB was measured. */
  private static final long HEAP_PER_STALLED = 32 * 1024;

  /** Heap that may stay behind per peer once it was dropped: nothing, up to measuring noise. */
  private static final long HEAP_PER_DROPPED = 2 * 1024;

  private static final long TARGET_BYTES_PER_SECOND = FULL ? MIB : 4 * MIB;
  private static final Duration SLOW_TARGET_RUN = Duration.ofSeconds(FULL ? 60 : 3);
  private static final long OFFERED = 256 * MIB;

  /**
   * Bytes the two pipes may hold in their own buffers, past the kernel's socket queues: a few
   * socket reads of up to 128 KiB (Pekko's direct-buffer-size) waiting at each stage boundary.
   * Up to 1.4 MiB was measured; without backpressure it would be most of the 256 MiB offered.
   */
  private static final long PIPE_HELD_BOUND = 4 * MIB;

  /**
   * Clients connecting at once. Past the listen backlog (100) the kernel drops their SYNs and
   * they retry after 1 s, 3 s, 7 s: the full-size burst took 35 s on a busy 2-core machine.
   */
  private static final int BURST = FULL ? 1_000 : 250;
  private static final int LIMIT = 8;

  @TempDir Path dir;

  // ---- stalled handshakes ----

  @Test
  void stalledHandshakes_allClosedAtTimeout_heapPerConnectionBounded() throws Exception {
    ProtocolKey key = TestDaemon.writeKey(dir.resolve("pipe.key"));
    InetSocketAddress source = local(freePort());

    try (RecordingTarget target = new RecordingTarget();
        TestDaemon daemon =
            TestDaemon.startListening(
                String.format(
                    """
                    pekko-spiped.pipes.stall { mode = decrypt, key-file = "%s"
                      timeout = %dms, max-connections = 0
                      source = "[127.0.0.1]:%d", target = "%s" }
                    """,
                    dir.resolve("pipe.key"),
                    STALL_TIMEOUT.toMillis(),
                    source.getPort(),
                    target.endpoint()));
        Stallers stallers = new Stallers()) {
      assertEchoed(source, key);
      long before = Heap.usedAfterGc();

      for (int i = 0; i < STALLED; i++) {
        stallers.connect(source);
      }
      stallers.awaitAllAccepted(Duration.ofSeconds(30));
      System.out.printf("stalled %d: all accepted after %d ms%n", STALLED, stallers.sinceFirst());
      long peak = Heap.usedAfterGc();
      assertEquals(STALLED, daemon.active("stall"), "all stalled peers held at once");

      stallers.awaitAllClosed(STALL_TIMEOUT.plusSeconds(30));
      await(
          Duration.ofSeconds(5),
          () -> daemon.active("stall") == 0,
          () -> "still active: " + daemon.active("stall"));
      long after = Heap.usedAfterGc();

      System.out.printf(
          "stalled %d: heap before %s, with all open %s (%d bytes each), after %s%n",
          STALLED, mib(before), mib(peak), (peak - before) / STALLED, mib(after));
      assertTrue(
          peak - before < STALLED * HEAP_PER_STALLED,
          "heap for " + STALLED + " stalled peers: " + mib(peak - before));
      assertTrue(
          after - before < STALLED * HEAP_PER_DROPPED,
          "heap kept after they closed: " + mib(after - before));
      assertEquals(
          STALLED,
          daemon.count(PipeMetrics.HANDSHAKES_FAILED, "stall", "reason", "timeout"),
          "handshake timeouts counted");
      stallers.assertClosedAtTimeout(STALL_TIMEOUT);
      assertEchoed(source, key);
    }
  }

  // ---- a slow target ----

  @Test
  void slowTarget_senderHeldBack_pipeHoldsOnlyItsBuffers() throws Exception {
    TestDaemon.writeKey(dir.resolve("pair.key"));
    InetSocketAddress entry = local(freePort());
    int middle = freePort();

    try (SlowTarget target = new SlowTarget(TARGET_BYTES_PER_SECOND);
        TestDaemon daemon =
            TestDaemon.startListening(
                String.format(
                    """
                    pekko-spiped.pipes {
                      enc { mode = encrypt, key-file = "%1$s"
                        source = "[127.0.0.1]:%2$d", target = "[127.0.0.1]:%3$d" }
                      dec { mode = decrypt, key-file = "%1$s"
                        source = "[127.0.0.1]:%3$d", target = "[127.0.0.1]:%4$d" }
                    }
                    """,
                    dir.resolve("pair.key"),
                    entry.getPort(),
                    middle,
                    target.port()))) {
      long before = Heap.usedAfterGc();
      FastSender sender = new FastSender(entry, OFFERED);
      Set<Integer> ports = Set.of(entry.getPort(), middle, target.port());

      long mostHeld = 0;
      long mostInFlight = 0;
      int samples = 0;
      long end = System.nanoTime() + SLOW_TARGET_RUN.toNanos();
      while (System.nanoTime() < end) {
        // Read in this order, what is held can only come out low: sent first, received last.
        long start = System.nanoTime();
        long sentBefore = sender.sent();
        long queued = KernelQueues.bytesQueued(ports);
        long receivedAfter = target.received();
        // The kernel's tables list every socket, TIME_WAIT ones of earlier tests too: with 13,000
        // of them one read took 30 ms. A slow sample reads low by what moved meanwhile, about
        // twice the target's rate times its length: 0.8 MiB at 100 ms, against a bound of 4 MiB.
        if (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(100)) {
          samples++;
          mostInFlight = Math.max(mostInFlight, sentBefore - receivedAfter);
          mostHeld = Math.max(mostHeld, sentBefore - receivedAfter - queued);
        }
        Thread.sleep(20); // A sampling interval: nothing signals "the buffers are as full now".
      }
      long sent = sender.sent();
      long received = target.received();
      long after = Heap.usedAfterGc();
      assertEquals(1.0, daemon.active("enc"), "the connection is still open");
      sender.close();

      System.out.printf(
          "slow target: sent %s, received %s, most in flight %s, most held by the pipes %s"
              + " (%d samples), heap before %s, after %s%n",
          mib(sent),
          mib(received),
          mib(mostInFlight),
          mib(mostHeld),
          samples,
          mib(before),
          mib(after));
      assertTrue(sent < OFFERED, "the sender was never held back: sent all " + mib(sent));
      assertTrue(
          received >= TARGET_BYTES_PER_SECOND * SLOW_TARGET_RUN.toSeconds() / 2,
          "the target got only " + mib(received));
      assertTrue(
          mostHeld < PIPE_HELD_BOUND,
          "bytes held by the pipes beyond the kernel's socket queues: " + mib(mostHeld));
      assertTrue(after - before < 16 * MIB, "heap grew by " + mib(after - before));
      assertTrue(samples >= 10, "only " + samples + " quick samples: the bound was hardly tested");
    }
  }

  // ---- the connection limit ----

  @Test
  void burstOfConnects_neverMoreThanLimitAtTarget_allServed() throws Exception {
    TestDaemon.writeKey(dir.resolve("pair.key"));
    InetSocketAddress entry = local(freePort());
    int middle = freePort();

    try (LogCapture logs = new LogCapture();
        RecordingTarget target = new RecordingTarget();
        TestDaemon daemon =
            TestDaemon.startListening(
                String.format(
                    """
                    pekko-spiped {
                      pipe-defaults { forward-secrecy = off, timeout = 10s }
                      pipes {
                        enc { mode = encrypt, key-file = "%1$s", max-connections = %2$d
                          source = "[127.0.0.1]:%3$d", target = "[127.0.0.1]:%4$d" }
                        dec { mode = decrypt, key-file = "%1$s", max-connections = 0
                          source = "[127.0.0.1]:%4$d", target = "%5$s" }
                      }
                    }
                    """,
                    dir.resolve("pair.key"),
                    LIMIT,
                    entry.getPort(),
                    middle,
                    target.endpoint()))) {
      long start = System.nanoTime();
      int served = Burst.run(entry, BURST, Duration.ofSeconds(120));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      System.out.printf(
          "burst of %d: served in %d ms, at most %d at the target%n",
          BURST, millis, target.mostOpen());
      assertEquals(BURST, served, "clients that got their byte back");
      assertEquals(BURST, target.connections().size(), "connections that reached the target");
      assertTrue(
          target.mostOpen() <= LIMIT, "at the target at once: " + target.mostOpen());
      // The limit was reached, so the bound above was put to the test.
      assertTrue(daemon.count(PipeMetrics.LIMIT_REACHED, "enc") >= 1, "limit never reached");
      assertTrue(
          !logs.linesContaining("pipe [enc]: connection limit " + LIMIT + " reached").isEmpty(),
          "the limit was logged");
      await(
          Duration.ofSeconds(5),
          () -> daemon.active("enc") == 0 && daemon.active("dec") == 0,
          () -> "still active: enc " + daemon.active("enc") + ", dec " + daemon.active("dec"));
    }
  }

  // ---- helpers ----

  private static void assertEchoed(InetSocketAddress pipe, ProtocolKey key) throws Exception {
    byte[] good = "the good packet".getBytes(StandardCharsets.US_ASCII);
    try (RawClient client = RawClient.connect(pipe, key, ForwardSecrecy.ON)) {
      client.handshake();
      client.sendPacket(good);
      assertArrayEquals(good, client.readPacket(), "echo through " + pipe);
    }
  }

  /**
   * Peers that connect, send the first 10 bytes of a nonce and then nothing, watched from one
   * thread: when the pipe's nonce arrives (it was accepted) and when the pipe closes.
   */
  private static final class Stallers implements AutoCloseable {
    private static final class Peer {
      long acceptedAt;
      long closedAt;
    }

    private final Selector selector = Selector.open();
    private final ByteBuffer sink = ByteBuffer.allocate(4096);
    private final List<Peer> peers = new ArrayList<>();
    private int accepted;
    private int closed;

    Stallers() throws IOException {}

    /**
     * Connects one more peer once fewer than 50 wait to be accepted: more would overflow the
     * pipe's listen backlog, and the kernel would hold the rest back by a second or more.
     */
    void connect(InetSocketAddress pipe) throws IOException {
      while (peers.size() - accepted >= 50) {
        poll(10);
      }
      SocketChannel channel = SocketChannel.open(pipe);
      channel.write(ByteBuffer.wrap(new byte[10]));
      channel.configureBlocking(false);
      Peer peer = new Peer();
      peers.add(peer);
      channel.register(selector, SelectionKey.OP_READ, peer);
      // Note what already arrived, so that no time is read late.
      poll(0);
    }

    void awaitAllAccepted(Duration limit) throws IOException {
      long deadline = System.nanoTime() + limit.toNanos();
      while (accepted < peers.size()) {
        assertTrue(System.nanoTime() < deadline, accepted + " of " + peers.size() + " accepted");
        poll(100);
      }
    }

    void awaitAllClosed(Duration limit) throws IOException {
      long deadline = System.nanoTime() + limit.toNanos();
      while (closed < peers.size()) {
        assertTrue(System.nanoTime() < deadline, closed + " of " + peers.size() + " closed");
        poll(100);
      }
    }

    /** Each closed at the pipe's timeout after it was accepted, and not before. */
    void assertClosedAtTimeout(Duration timeout) {
      long earliest = Long.MAX_VALUE;
      long latest = 0;
      for (Peer peer : peers) {
        long held = peer.closedAt - peer.acceptedAt;
        earliest = Math.min(earliest, held);
        latest = Math.max(latest, held);
      }
      String range =
          "held from " + earliest / 1_000_000 + " to " + latest / 1_000_000 + " ms after accept";
      assertTrue(earliest >= timeout.minusMillis(100).toNanos(), range);
      // Generous: a full collection for the heap figure may stop this thread's watching.
      assertTrue(latest <= timeout.plusSeconds(3).toNanos(), range);
    }

    long sinceFirst() {
      return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - peers.get(0).acceptedAt);
    }

    private void poll(long millis) throws IOException {
      if (millis == 0) {
        selector.selectNow();
      } else {
        selector.select(millis);
      }
      long now = System.nanoTime();
      for (SelectionKey key : selector.selectedKeys()) {
        Peer peer = (Peer) key.attachment();
        SocketChannel channel = (SocketChannel) key.channel();
        int read;
        try {
          read = channel.read(sink.clear());
        } catch (IOException e) {
          read = -1; // reset by the pipe: closed all the same
        }
        if (read > 0 && peer.acceptedAt == 0) {
          peer.acceptedAt = now;
          accepted++;
        }
        if (read < 0) {
          peer.closedAt = now;
          closed++;
          key.cancel();
          channel.close();
        }
      }
      selector.selectedKeys().clear();
    }

    @Override
    public void close() throws IOException {
      for (SelectionKey key : selector.keys()) {
        key.channel().close();
      }
      selector.close();
    }
  }

  /** A target that reads at most a given number of bytes per second, from small buffers. */
  private static final class SlowTarget implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket();
    private final AtomicLong received = new AtomicLong();
    private final CompletableFuture<Void> reading;

    SlowTarget(long bytesPerSecond) throws IOException {
      // A small receive buffer, set before the bind so that accepted sockets inherit it.
      listener.setReceiveBufferSize(64 * 1024);
      listener.bind(local(0), 1);
      reading = CompletableFuture.runAsync(() -> readSlowly(bytesPerSecond));
    }

    int port() {
      return listener.getLocalPort();
    }

    long received() {
      return received.get();
    }

    private void readSlowly(long bytesPerSecond) {
      try (Socket socket = listener.accept()) {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[16 * 1024];
        long start = System.nanoTime();
        while (true) {
          long allowed = (System.nanoTime() - start) * bytesPerSecond / 1_000_000_000L;
          long ahead = received.get() - allowed;
          if (ahead >= 0) {
            // A rate limit: the time to wait is the point, there is nothing to wait for.
            Thread.sleep(1 + ahead * 1000 / bytesPerSecond);
            continue;
          }
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, -ahead));
          if (n < 0) {
            return;
          }
          received.addAndGet(n);
        }
      } catch (IOException | InterruptedException e) {
        // Closed by the test.
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
      reading.cancel(true);
    }
  }

  /** A client that writes as fast as the pipe takes it, counting what each write handed over. */
  private static final class FastSender implements AutoCloseable {
    private final Socket socket = new Socket();
    private final AtomicLong sent = new AtomicLong();

    FastSender(InetSocketAddress pipe, long bytes) throws IOException {
      socket.setSendBufferSize(64 * 1024);
      socket.connect(pipe, 5_000);
      CompletableFuture.runAsync(() -> send(bytes));
    }

    long sent() {
      return sent.get();
    }

    private void send(long bytes) {
      byte[] chunk = new byte[64 * 1024];
      try {
        OutputStream out = socket.getOutputStream();
        while (sent.get() < bytes) {
          out.write(chunk);
          sent.addAndGet(chunk.length);
        }
      } catch (IOException e) {
        // Closed by the test while blocked, as it should be.
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Bytes the kernel holds for loopback TCP sockets, from /proc/net/tcp and tcp6. */
  private static final class KernelQueues {
    private KernelQueues() {}

    /**
     * Send and receive queues of every established socket whose local or remote port is one
     * of ports: both ends of each connection on the way, whichever process holds them.
     */
    static long bytesQueued(Set<Integer> ports) throws IOException {
      List<String> portsHex = ports.stream().map(port -> String.format(":%04X ", port)).toList();
      long total = 0;
      // Java's sockets are IPv6 ones even when they carry IPv4, so both tables count.
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        for (String line : Files.readAllLines(Path.of(table))) {
          // Most lines are other sockets (TIME_WAIT ones of earlier tests): skip them unsplit.
          if (portsHex.stream().noneMatch(line::contains)) {
            continue;
          }
          // sl local_address rem_address st tx_queue:rx_queue ...
          String[] fields = line.trim().split("\\s+");
          if (fields[3].equals("01")) {
            String[] queues = fields[4].split(":");
            total += Long.parseLong(queues[0], 16) + Long.parseLong(queues[1], 16);
          }
        }
      }
      return total;
    }
  }

  /**
   * Many plaintext clients connecting at once, from one thread: each sends a byte, waits for
   * it to come back, and closes.
   */
  private static final class Burst {
    private Burst() {}

    /** Returns how many clients got their byte back before the limit. */
    static int run(InetSocketAddress pipe, int clients, Duration limit) throws IOException {
      try (Selector selector = Selector.open()) {
        for (int i = 0; i < clients; i++) {
          SocketChannel channel = SocketChannel.open();
          channel.configureBlocking(false);
          channel.connect(pipe);
          channel.register(selector, SelectionKey.OP_CONNECT);
        }
        int served = 0;
        int failed = 0;
        ByteBuffer one = ByteBuffer.allocate(1);
        long deadline = System.nanoTime() + limit.toNanos();
        while (served + failed < clients && System.nanoTime() < deadline) {
          selector.select(100);
          for (SelectionKey key : selector.selectedKeys()) {
            SocketChannel channel = (SocketChannel) key.channel();
            try {
              if (key.isConnectable()) {
                channel.finishConnect();
                channel.write(ByteBuffer.wrap(new byte[] {42}));
                key.interestOps(SelectionKey.OP_READ);
              } else {
                int read = channel.read(one.clear());
                if (read != 0) {
                  served += read == 1 ? 1 : 0;
                  failed += read < 0 ? 1 : 0;
                  channel.close();
                }
              }
            } catch (IOException e) {
              failed++;
              channel.close();
            }
          }
          selector.selectedKeys().clear();
        }
        for (SelectionKey key : selector.keys()) {
          key.channel().close();
        }
        return served;
      }
    }
  }
}
