package org.pekkospiped.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A real {@code /usr/bin/spiped} daemon, always run with {@code -F} so that it stays our child
 * (without it, spiped forks, the parent exits 0 at once and the daemon is out of reach).
 *
 * <p>{@link #start} returns once the daemon listens on its source address; {@link #launch} does not
 * wait, for tests of a daemon that must refuse to start. {@link #close()} kills it with SIGKILL: a
 * SIGTERM would make spiped wait for its open connections to end.
 */
public final class SpipedProcess implements AutoCloseable {

  public static final String SPIPED = "/usr/bin/spiped";

  /** Bound on the wait for spiped to listen; it binds within milliseconds. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(5);

  private final ExternalProcess process;
  private final String source;

  private SpipedProcess(ExternalProcess process, String source) {
    this.process = process;
    this.source = source;
  }

  /**
   * An encrypting spiped ({@code -e}): plaintext on {@code source}, ciphertext to {@code target}.
   */
  public static SpipedProcess encrypting(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, String... flags) {
    return start(arguments("-e", source, target, keyFile, flags));
  }

  /**
   * A decrypting spiped ({@code -d}): ciphertext on {@code source}, plaintext to {@code target}.
   */
  public static SpipedProcess decrypting(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, String... flags) {
    return start(arguments("-d", source, target, keyFile, flags));
  }

  /** {@code mode source target key flags} as a spiped argument list, addresses on 127.0.0.1. */
  public static List<String> arguments(
      String mode,
      InetSocketAddress source,
      InetSocketAddress target,
      Path keyFile,
      String... flags) {
    List<String> args = new ArrayList<>();
    args.add(mode);
    args.add("-s");
    args.add(Ports.spipedSyntax(source));
    args.add("-t");
    args.add(Ports.spipedSyntax(target));
    args.add("-k");
    args.add(keyFile.toString());
    args.addAll(List.of(flags));
    return args;
  }

  /** Launches spiped with {@code args} (plus {@code -F}) and waits until its source listens. */
  public static SpipedProcess start(List<String> args) {
    SpipedProcess spiped = launch(args);
    try {
      Ports.awaitListening(spiped.process.handle(), spiped.source, START_TIMEOUT);
    } catch (IllegalStateException e) {
      spiped.close();
      throw new IllegalStateException("spiped did not start: " + spiped, e);
    }
    return spiped;
  }

  /** Launches spiped with {@code args} (plus {@code -F}) without waiting for anything. */
  public static SpipedProcess launch(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(SPIPED);
    command.addAll(args);
    if (!args.contains("-F")) {
      command.add("-F");
    }
    return new SpipedProcess(ExternalProcess.start(command, new byte[0]), valueOf(args, "-s"));
  }

  private static String valueOf(List<String> args, String flag) {
    int at = args.indexOf(flag);
    if (at < 0 || at + 1 >= args.size()) {
      throw new IllegalArgumentException("spiped needs " + flag + " <address>: " + args);
    }
    return args.get(at + 1);
  }

  /** The source address as given to {@code -s}. */
  public String source() {
    return source;
  }

  public long pid() {
    return process.handle().pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** What spiped wrote to stderr so far (its warnings, such as the connection-limit one). */
  public String stderr() {
    return process.stderr();
  }

  /** Sends SIGTERM: spiped then stops accepting and exits once its connections have ended. */
  public void terminate() {
    process.terminate();
  }

  /** The exit code, or empty if spiped still runs after {@code timeout}. */
  public Optional<Integer> awaitExit(Duration timeout) {
    return process.awaitExit(timeout);
  }

  @Override
  public void close() {
    process.close();
  }

  /** The command line, whether it runs, and its stderr: what a failing test should print. */
  @Override
  public String toString() {
    return process.toString();
  }
}
