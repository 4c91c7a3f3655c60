package org.pekkospiped.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plaintext TCP server on 127.0.0.1 with one thread per connection, the target end of a pipe in
 * the end-to-end tests. It counts the connections it accepted (so a test can prove that a target
 * never saw one) and exposes a future per connection, numbered from 0 in accept order.
 */
public abstract class TcpTarget implements AutoCloseable {

  /** Bound on any single read, so that a forgotten connection cannot park a thread for ever. */
  protected static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final String name;
  private final ServerSocket listener;
  private final AtomicInteger accepted = new AtomicInteger();
  private final Map<Integer, CompletableFuture<Void>> acceptedFutures = new ConcurrentHashMap<>();
  private final Map<Integer, CompletableFuture<Void>> endedFutures = new ConcurrentHashMap<>();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();

  protected TcpTarget(String name) {
    this.name = name;
    try {
      this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind " + name, e);
    }
  }

  /** Starts the accept loop; the subclass's factory calls this once its fields are set. */
  protected final void startAccepting() {
    Thread acceptor = new Thread(this::acceptLoop, name + "-accept-" + port());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Serves one accepted connection; the socket is closed after this returns. */
  protected abstract void serve(Socket connection, int index) throws IOException;

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket connection = listener.accept();
        int index = accepted.getAndIncrement();
        open.add(connection);
        acceptedFuture(index).complete(null);
        startServing(connection, index);
      } catch (IOException e) {
        // The listener was closed by close(): the loop ends.
      }
    }
  }

  private void startServing(Socket connection, int index) {
    Thread server =
        new Thread(
            () -> {
              try (connection) {
                connection.setSoTimeout((int) READ_TIMEOUT.toMillis());
                serve(connection, index);
                endedFuture(index).complete(null);
              } catch (IOException | RuntimeException e) {
                endedFuture(index).completeExceptionally(e);
              } finally {
                open.remove(connection);
              }
            },
            name + "-conn-" + index);
    server.setDaemon(true);
    server.start();
  }

  private CompletableFuture<Void> acceptedFuture(int index) {
    return acceptedFutures.computeIfAbsent(index, i -> new CompletableFuture<>());
  }

  private CompletableFuture<Void> endedFuture(int index) {
    return endedFutures.computeIfAbsent(index, i -> new CompletableFuture<>());
  }

  public final InetSocketAddress address() {
    return (InetSocketAddress) listener.getLocalSocketAddress();
  }

  public final int port() {
    return listener.getLocalPort();
  }

  /** How many connections were accepted so far. */
  public final int acceptedConnections() {
    return accepted.get();
  }

  /** Completes when connection number {@code index} (from 0, in accept order) is accepted. */
  public final CompletableFuture<Void> accepted(int index) {
    return acceptedFuture(index);
  }

  /** Completes when the first connection is accepted. */
  public final CompletableFuture<Void> firstAccepted() {
    return accepted(0);
  }

  /** Completes when connection {@code index} was served and closed, exceptionally on an error. */
  public final CompletableFuture<Void> ended(int index) {
    return endedFuture(index);
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException e) {
      // Closing a listener that failed to close leaves nothing else to do.
    }
    for (Socket connection : open) {
      try {
        connection.close();
      } catch (IOException e) {
        // Same: the connection is being torn down anyway.
      }
    }
  }

  @Override
  public String toString() {
    return name + " on " + Ports.spipedSyntax(address()) + ", accepted " + accepted.get();
  }
}
