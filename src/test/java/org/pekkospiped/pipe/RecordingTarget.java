package org.pekkospiped.pipe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A target server that echoes what it reads and records every connection that reached it: the
 * bytes it received, how many were open at once, and whether each has ended.
 *
 * <p>On EOF it first counts the connection as closed and only then closes its socket, so that
 * anyone who sees the close (the pipe, and through it the client) knows the count is already
 * down: a test can then tell that the pipe kept its connection limit, not a race.
 */
final class RecordingTarget implements AutoCloseable {
  /** One connection as the target saw it. */
  static final class Connection {
    private final Socket socket;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private volatile boolean ended;

    Connection(Socket socket) {
      this.socket = socket;
    }

    synchronized byte[] received() {
      return received.toByteArray();
    }

    boolean ended() {
      return ended;
    }

    /** Resets the connection from the target's side (SO_LINGER 0). */
    void reset() throws IOException {
      socket.setSoLinger(true, 0);
      socket.close();
    }

    private synchronized void record(byte[] bytes, int length) {
      received.write(bytes, 0, length);
    }
  }

  private final ServerSocket server;
  private final ExecutorService threads = Executors.newCachedThreadPool(RecordingTarget::daemon);
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger mostOpen = new AtomicInteger();

  RecordingTarget() throws IOException {
    this(0);
  }

  /** A target on a given port of 127.0.0.1, for a test that brings a down target back. */
  RecordingTarget(int port) throws IOException {
    server = new ServerSocket();
    server.bind(new InetSocketAddress("127.0.0.1", port), 1000);
    threads.execute(this::acceptLoop);
  }

  /** The target's address as a pipe's target setting. */
  String endpoint() {
    return "[127.0.0.1]:" + server.getLocalPort();
  }

  List<Connection> connections() {
    return List.copyOf(connections);
  }

  /** Connections open now. */
  int open() {
    return open.get();
  }

  /** The most connections that were ever open at once. */
  int mostOpen() {
    return mostOpen.get();
  }

  /** Forgets earlier connections, so a test sees only its own. */
  void clear() {
    connections.clear();
    mostOpen.set(open.get());
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        Connection connection = new Connection(socket);
        connections.add(connection);
        mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        threads.execute(() -> echo(connection));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void echo(Connection connection) {
    byte[] buffer = new byte[16 * 1024];
    try {
      InputStream in = connection.socket.getInputStream();
      OutputStream out = connection.socket.getOutputStream();
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        connection.record(buffer, n);
        out.write(buffer, 0, n);
      }
    } catch (IOException e) {
      // Reset by the pipe, or by a test through Connection.reset: the connection is over.
    } finally {
      // Counted down before the close, which is what the pipe and its client will see.
      connection.ended = true;
      open.decrementAndGet();
      closeQuietly(connection.socket);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Already gone.
    }
  }

  private static Thread daemon(Runnable work) {
    Thread thread = new Thread(work, "recording-target");
    thread.setDaemon(true);
    return thread;
  }

  @Override
  public void close() throws IOException {
    server.close();
    threads.shutdownNow();
  }
}
