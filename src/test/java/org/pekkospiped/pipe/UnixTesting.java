package org.pekkospiped.pipe;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.pekkospiped.config.SpipedSettings;
import org.slf4j.LoggerFactory;

/** Unix socket servers, clients, daemons and log capture for the Unix socket tests. */
final class UnixTesting {
  private UnixTesting() {}

  /** A fresh 32-byte key file in dir. */
  static Path keyFile(Path dir) throws IOException {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Files.write(dir.resolve("pipe.key"), key);
  }

  /** A TCP port on 127.0.0.1 that was free a moment ago. */
  static int freeTcpPort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  /** One pipe as HOCON, for {@link #startDaemon}. */
  static String pipe(String name, String mode, String source, String target, Path key) {
    return String.format(
        "%s { mode = %s, source = \"%s\", target = \"%s\", key-file = \"%s\" }%n",
        name, mode, source, target, key);
  }

  /** Starts the given pipes in-process, restarting failed ones after 100 ms to 400 ms. */
  static Daemon startDaemon(String... pipes) throws Exception {
    String config =
        "pekko-spiped { restart { min-backoff = 100ms, max-backoff = 400ms }\n pipes {\n"
            + String.join("", pipes)
            + "} }";
    return Daemon.start(
        SpipedSettings.load(
            ConfigFactory.parseString(config).withFallback(ConfigFactory.load()).resolve()));
  }

  static void awaitListening(Daemon daemon) throws Exception {
    daemon.listening().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static SocketChannel connect(Path path) throws IOException {
    return SocketChannel.open(UnixDomainSocketAddress.of(path));
  }

  /** Sends request, half-closes, and returns everything read until the peer's EOF. */
  static byte[] exchange(Path source, byte[] request) throws IOException {
    try (SocketChannel client = connect(source)) {
      writeFully(client, ByteBuffer.wrap(request));
      client.shutdownOutput();
      return readToEof(client);
    }
  }

  static void writeFully(SocketChannel channel, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  static byte[] readToEof(SocketChannel channel) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    while (channel.read(buffer) >= 0) {
      all.write(buffer.array(), 0, buffer.position());
      buffer.clear();
    }
    return all.toByteArray();
  }

  static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Binds a Unix socket at path and leaves it listening, as a live process would. */
  static ServerSocketChannel listen(Path path) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    return server;
  }

  /** Leaves a socket file at path that nothing listens on, as a crashed process would. */
  static void leaveStaleSocket(Path path) throws IOException {
    listen(path).close();
  }

  /** A Unix socket target serving each connection on its own thread, in one of two ways. */
  static final class TargetServer implements AutoCloseable {
    enum Behaviour {
      /** Reads until EOF, then sends it all back and closes: only works through a half-close. */
      REPLY_AFTER_EOF,
      /** Sends back whatever arrives at once; shuts down its output at EOF. */
      ECHO
    }

    private final ServerSocketChannel server;
    private final Behaviour behaviour;

    TargetServer(Path path, Behaviour behaviour) throws IOException {
      this.server = listen(path);
      this.behaviour = behaviour;
      Thread acceptor = new Thread(this::acceptAll, "target-" + path.getFileName());
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void acceptAll() {
      try {
        while (true) {
          SocketChannel connection = server.accept();
          Thread serving = new Thread(() -> serve(connection), "target-connection");
          serving.setDaemon(true);
          serving.start();
        }
      } catch (IOException e) {
        // Closed by the test.
      }
    }

    private void serve(SocketChannel connection) {
      try (connection) {
        if (behaviour == Behaviour.REPLY_AFTER_EOF) {
          writeFully(connection, ByteBuffer.wrap(readToEof(connection)));
          return;
        }
        ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        while (connection.read(buffer) >= 0) {
          buffer.flip();
          writeFully(connection, buffer);
          buffer.clear();
        }
        connection.shutdownOutput();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** Collects log lines, so a test can wait for a pipe to report what it did. */
  static final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final CopyOnWriteArrayList<String> lines = new CopyOnWriteArrayList<>();
    private final Logger root =
        (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    LogCapture() {
      setName("unix-test-capture");
      start();
      root.addAppender(this);
    }

    @Override
    protected void append(ILoggingEvent event) {
      synchronized (lines) {
        lines.add(event.getFormattedMessage());
        lines.notifyAll();
      }
    }

    /** Waits until at least times lines contain fragment; fails after timeout. */
    void await(String fragment, int times, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lines) {
        while (count(fragment) < times) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new AssertionError(
                "expected " + times + " log lines with '" + fragment + "', got " + lines);
          }
          TimeUnit.NANOSECONDS.timedWait(lines, left);
        }
      }
    }

    long count(String fragment) {
      return lines.stream().filter(line -> line.contains(fragment)).count();
    }

    @Override
    public void close() {
      root.detachAppender(this);
      stop();
    }
  }
}
