package org.pekkospiped.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Our daemon as its own process ({@link OurProcess}), returned once it listens on its source.
 * {@link #terminate()} sends SIGTERM, as a service manager does; {@link #close()} kills it.
 */
final class OurDaemonProcess implements AutoCloseable {

  /** A child JVM takes a few seconds to start on a busy two-core machine. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final ExternalProcess process;
  private final String source;

  private OurDaemonProcess(ExternalProcess process, String source) {
    this.process = process;
    this.source = source;
  }

  /**
   * Starts {@code java ... Main arguments} and waits until it listens on {@code source}.
   *
   * @param source the address the daemon will listen on, in spiped's syntax
   */
  static OurDaemonProcess start(String source, String... arguments) {
    OurDaemonProcess ours = new OurDaemonProcess(OurProcess.start(new byte[0], arguments), source);
    try {
      Ports.awaitListening(ours.process.handle(), source, START_TIMEOUT);
    } catch (IllegalStateException e) {
      ours.close();
      throw new IllegalStateException("pekko-spiped did not start: " + ours, e);
    }
    return ours;
  }

  /** Writes {@code hocon} to a file in {@code dir} and starts the daemon on that file. */
  static OurDaemonProcess startWithConfig(Path dir, String hocon, String source) {
    try {
      Path file = Files.createTempFile(dir, "pekko-spiped-", ".conf");
      Files.writeString(file, hocon);
      return start(source, file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a configuration file in " + dir, e);
    }
  }

  /** Whether the daemon still listens on its source (seen in /proc, without connecting). */
  boolean listening() {
    return Ports.isListening(process.handle().pid(), source);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Sends SIGTERM. Through the process handle, not {@code Process.destroy()}: on Linux that also
   * closes our end of the child's stdout and stderr, and what it logs while stopping is lost.
   */
  void terminate() {
    process.handle().destroy();
  }

  Optional<Integer> awaitExit(Duration timeout) {
    return process.awaitExit(timeout);
  }

  /** What the daemon logged so far. */
  String stderr() {
    return process.stderr();
  }

  @Override
  public void close() {
    process.close();
  }

  @Override
  public String toString() {
    return process.toString();
  }
}
