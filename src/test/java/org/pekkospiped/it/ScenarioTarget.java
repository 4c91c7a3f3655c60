package org.pekkospiped.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The plaintext target of every pipe in a scenario run, on TCP or on a Unix socket (so one
 * fixture serves both transports, where {@link EchoServer} is TCP only).
 *
 * <p>Each connection is echoed, and half-closed once its input ends. A slow reader may be planned
 * for the next connection accepted instead: it reads at a given pace, echoing like the
 * rate-limited echo server of spiped's test 08, or only reading. Connections
 * are numbered from 0 in accept order; each pipe end connects to the target once per client, so
 * a test that runs alone knows which number its connection gets.
 */
public final class ScenarioTarget implements AutoCloseable {

  /** Bound on waiting for a test that holds a slow read between its phases. */
  private static final Duration RESUME_TIMEOUT = Duration.ofSeconds(30);

  private final String address;
  private final ServerSocketChannel listener;
  private final AtomicInteger accepted = new AtomicInteger();
  private final Map<Integer, CompletableFuture<Void>> acceptedFutures = new ConcurrentHashMap<>();
  private final Map<Integer, CompletableFuture<Long>> endedFutures = new ConcurrentHashMap<>();
  private final Queue<SlowReader> planned = new ConcurrentLinkedQueue<>();
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();

  private ScenarioTarget(String address, ServerSocketChannel listener) {
    this.address = address;
    this.listener = listener;
  }

  /** Listens on {@code address} at once and serves connections until closed. */
  public static ScenarioTarget start(Transport transport, String address) {
    ScenarioTarget target;
    try {
      target = new ScenarioTarget(address, transport.listen(address));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + address, e);
    }
    Threads.async("target-accept", target::acceptLoop);
    return target;
  }

  public String address() {
    return address;
  }

  /** How many connections were accepted so far. */
  public int acceptedConnections() {
    return accepted.get();
  }

  /** Completes when connection {@code index} is accepted. */
  public CompletableFuture<Void> accepted(int index) {
    return acceptedFutures.computeIfAbsent(index, i -> new CompletableFuture<>());
  }

  /**
   * Completes when connection {@code index} has ended, with the number of bytes it received;
   * exceptionally if it failed (a reset, say).
   */
  public CompletableFuture<Long> ended(int index) {
    return endedFutures.computeIfAbsent(index, i -> new CompletableFuture<>());
  }

  /** Plans the next connection accepted: it echoes everything at about {@code bytesPerSecond}. */
  public SlowReader planSlowEcho(int bytesPerSecond) {
    return plan(new SlowReader(bytesPerSecond, Long.MAX_VALUE, true));
  }

  /**
   * Plans the next connection accepted: it reads, and does not echo, its first {@code slowBytes}
   * at about {@code bytesPerSecond}, waits for {@link SlowReader#resume()}, then reads the rest at
   * full speed.
   */
  public SlowReader planSlowRead(int bytesPerSecond, long slowBytes) {
    return plan(new SlowReader(bytesPerSecond, slowBytes, false));
  }

  private SlowReader plan(SlowReader reader) {
    planned.add(reader);
    return reader;
  }

  private Void acceptLoop() {
    while (listener.isOpen()) {
      try {
        SocketChannel connection = listener.accept();
        int index = accepted.getAndIncrement();
        open.add(connection);
        SlowReader slowReader = planned.poll();
        accepted(index).complete(null);
        Threads.async("target-conn-" + index, () -> serve(connection, index, slowReader));
      } catch (IOException e) {
        // The listener was closed: the loop ends.
      }
    }
    return null;
  }

  private Void serve(SocketChannel connection, int index, SlowReader slowReader) {
    try (connection) {
      long received = slowReader == null ? echo(connection) : slowReader.serve(connection);
      ended(index).complete(received);
    } catch (IOException | RuntimeException e) {
      ended(index).completeExceptionally(e);
      if (slowReader != null) {
        slowReader.fail(e);
      }
    } finally {
      open.remove(connection);
    }
    return null;
  }

  private static long echo(SocketChannel connection) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    long received = 0;
    for (int n; (n = connection.read(buffer)) >= 0; ) {
      received += n;
      writeFully(connection, buffer.flip());
      buffer.clear();
    }
    connection.shutdownOutput();
    return received;
  }

  private static void writeFully(SocketChannel connection, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      connection.write(bytes);
    }
  }

  @Override
  public void close() {
    closeQuietly(listener);
    open.forEach(ScenarioTarget::closeQuietly);
  }

  private static void closeQuietly(Channel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // Being torn down anyway.
    }
  }

  @Override
  public String toString() {
    return "target on " + address + ", accepted " + accepted.get();
  }

  /** What a slowly read connection received, in all. */
  public record Received(long count, String sha256) {}

  /** One planned slow reader: its pace, the moment its slow phase ends, and what it received. */
  public static final class SlowReader {
    private final int bytesPerSecond;
    private final long slowBytes;
    private final boolean echo;
    private final CompletableFuture<Long> slowPhaseOver = new CompletableFuture<>();
    private final CountDownLatch resume = new CountDownLatch(1);
    private final CompletableFuture<Received> received = new CompletableFuture<>();

    private SlowReader(int bytesPerSecond, long slowBytes, boolean echo) {
      this.bytesPerSecond = bytesPerSecond;
      this.slowBytes = slowBytes;
      this.echo = echo;
    }

    /**
     * Completes with the elapsed milliseconds once the slow bytes are read; nothing more is read
     * until {@link #resume()}, unless the input had already ended.
     */
    public CompletableFuture<Long> slowPhaseOver() {
      return slowPhaseOver;
    }

    /** Lets the reader go on, at full speed. */
    public void resume() {
      resume.countDown();
    }

    /** Completes once the connection reached EOF, with what it received. */
    public CompletableFuture<Received> received() {
      return received;
    }

    private long serve(SocketChannel connection) throws IOException {
      Digests.Running digest = Digests.running();
      long start = System.nanoTime();

      // A tenth of a second's worth per read, each read no earlier than the pace allows.
      ByteBuffer sip = ByteBuffer.allocate(Math.max(1, bytesPerSecond / 10));
      long count = 0;
      boolean ended = false;
      while (count < slowBytes && !ended) {
        pauseUntil(start + TimeUnit.SECONDS.toNanos(count) / bytesPerSecond);
        sip.clear().limit((int) Math.min(sip.capacity(), slowBytes - count));
        int n = connection.read(sip);
        ended = n < 0;
        if (n > 0) {
          digest.update(sip.array(), 0, n);
          count += n;
          echo(connection, sip);
        }
      }
      slowPhaseOver.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));

      if (!ended) {
        awaitResume();
        ByteBuffer gulp = ByteBuffer.allocate(64 * 1024);
        for (int n; (n = connection.read(gulp)) >= 0; gulp.clear()) {
          digest.update(gulp.array(), 0, n);
          count += n;
          echo(connection, gulp);
        }
      }
      connection.shutdownOutput();
      received.complete(new Received(count, digest.hex()));
      return count;
    }

    private void echo(SocketChannel connection, ByteBuffer read) throws IOException {
      if (echo) {
        writeFully(connection, read.flip());
      }
    }

    private static void pauseUntil(long nanoTime) {
      long wait = nanoTime - System.nanoTime();
      if (wait <= 0) {
        return;
      }
      try {
        // The pace of a deliberately slow reader, not a wait for an event.
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while reading slowly", e);
      }
    }

    private void awaitResume() {
      try {
        if (!resume.await(RESUME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException("not resumed within " + RESUME_TIMEOUT);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted before resuming", e);
      }
    }

    private void fail(Throwable failure) {
      slowPhaseOver.completeExceptionally(failure);
      received.completeExceptionally(failure);
    }
  }
}
