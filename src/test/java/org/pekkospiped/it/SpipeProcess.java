package org.pekkospiped.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The real {@code /usr/bin/spipe}, run once with its stdin and stdout as the plaintext side. */
public final class SpipeProcess {

  public static final String SPIPE = "/usr/bin/spipe";

  /** Bound on one spipe run unless a test gives its own. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

  private SpipeProcess() {}

  /** How a spipe run ended. */
  public record Result(int exitCode, byte[] stdout, String stderr) {
    @Override
    public String toString() {
      return "spipe exited " + exitCode + " with " + stdout.length + " bytes, stderr: " + stderr;
    }
  }

  /**
   * Runs {@code spipe -t target -k keyFile flags...}, feeds it {@code stdin} followed by EOF, and
   * waits at most {@link #DEFAULT_TIMEOUT} for it to exit.
   */
  public static Result run(String target, Path keyFile, byte[] stdin, String... flags) {
    return run(target, keyFile, stdin, DEFAULT_TIMEOUT, flags);
  }

  /** {@link #run(String, Path, byte[], String...)} with the target on a loopback port. */
  public static Result run(InetSocketAddress target, Path keyFile, byte[] stdin, String... flags) {
    return run(Ports.spipedSyntax(target), keyFile, stdin, DEFAULT_TIMEOUT, flags);
  }

  /** As {@link #run(String, Path, byte[], String...)}, killing spipe after {@code timeout}. */
  public static Result run(
      String target, Path keyFile, byte[] stdin, Duration timeout, String... flags) {
    List<String> command = new ArrayList<>(List.of(SPIPE, "-t", target, "-k", keyFile.toString()));
    command.addAll(List.of(flags));

    try (ExternalProcess spipe = ExternalProcess.start(command, stdin)) {
      Optional<Integer> exitCode = spipe.awaitExit(timeout);
      if (exitCode.isEmpty()) {
        throw new AssertionError("spipe still running after " + timeout + ": " + spipe);
      }
      return new Result(exitCode.get(), spipe.stdout(timeout), spipe.stderr());
    }
  }
}
