package org.pekkospiped.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The plaintext client of a pipe, on TCP or a Unix socket. A background thread reads everything
 * that arrives from the moment of connecting, so the test can write as much as it likes, ask
 * whether anything arrived at all, and wait for a given number of bytes or for EOF.
 *
 * <p>Reads and writes go to the channel itself, never through {@code Channels.newInputStream}:
 * those streams share one lock, so a blocked read would hold up every write.
 */
public final class ScenarioClient implements AutoCloseable {

  private final String address;
  private final SocketChannel channel;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private final CompletableFuture<Void> firstActivity = new CompletableFuture<>();
  private final CompletableFuture<byte[]> closed = new CompletableFuture<>();
  private final AtomicLong sent = new AtomicLong();

  private ScenarioClient(String address, SocketChannel channel) {
    this.address = address;
    this.channel = channel;
  }

  public static ScenarioClient connect(Transport transport, String address) throws IOException {
    ScenarioClient client = new ScenarioClient(address, transport.connect(address));
    Threads.async("client-read", client::readUntilClosed);
    return client;
  }

  private Void readUntilClosed() {
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    try {
      for (int n; (n = channel.read(buffer)) >= 0; buffer.clear()) {
        synchronized (received) {
          received.write(buffer.array(), 0, n);
          received.notifyAll();
        }
        firstActivity.complete(null);
      }
      firstActivity.complete(null);
      closed.complete(receivedSoFar());
    } catch (IOException e) {
      firstActivity.complete(null);
      closed.completeExceptionally(e);
    }
    synchronized (received) {
      received.notifyAll();
    }
    return null;
  }

  /** Completes as soon as anything arrives: a byte, EOF or a failure. */
  public CompletableFuture<Void> firstActivity() {
    return firstActivity;
  }

  /** Writes all of {@code bytes}, blocking while the pipe holds back. */
  public void send(byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      sent.addAndGet(channel.write(buffer));
    }
  }

  /**
   * Writes {@code bytes} in chunks of 64 KiB on a background thread, then half-closes; {@link
   * #sent()} tells how far it got.
   */
  public CompletableFuture<Void> sendAndHalfClose(byte[] bytes) {
    return Threads.async(
        "client-send",
        () -> {
          for (int at = 0; at < bytes.length; at += 64 * 1024) {
            send(Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + 64 * 1024)));
          }
          channel.shutdownOutput();
          return null;
        });
  }

  /** How many bytes the channel has taken so far. */
  public long sent() {
    return sent.get();
  }

  /** Sends EOF; the pipe carries it to the target as a half-close. */
  public void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  /** Waits until at least {@code count} bytes have arrived, and returns all that has. */
  public byte[] awaitReceived(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (received) {
      while (received.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || closed.isDone()) {
          throw new AssertionError(
              "expected " + count + " bytes from " + address + ", got " + received.size()
                  + (closed.isDone() ? " before it closed" : " in " + timeout));
        }
        TimeUnit.NANOSECONDS.timedWait(received, left);
      }
      return received.toByteArray();
    }
  }

  /** Everything received, once the far end has closed (EOF); fails on a reset. */
  public byte[] awaitEof(Duration timeout) {
    return Threads.await(closed, timeout, "EOF from " + address);
  }

  private byte[] receivedSoFar() {
    synchronized (received) {
      return received.toByteArray();
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  @Override
  public String toString() {
    return "client of " + address + ", sent " + sent() + ", received " + receivedSoFar().length;
  }
}
