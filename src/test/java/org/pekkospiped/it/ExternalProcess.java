package org.pekkospiped.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child process whose stdout and stderr are drained into buffers by background threads, so that
 * it never blocks on a full pipe and a failing test can print what it said.
 *
 * <p>Every live child is killed by a JVM shutdown hook as well: a test run that is aborted must not
 * leave a spiped or nginx holding a port on the CI machine.
 */
public final class ExternalProcess implements AutoCloseable {

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-children"));
  }

  private final List<String> command;
  private final Process process;
  private final CompletableFuture<byte[]> stdout;
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private final CompletableFuture<Void> stderrDrained;

  private ExternalProcess(List<String> command, Process process) {
    this.command = List.copyOf(command);
    this.process = process;
    this.stdout = readAllAsync(process.getInputStream(), new ByteArrayOutputStream());
    this.stderrDrained = readAllAsync(process.getErrorStream(), stderr).thenApply(bytes -> null);
  }

  /**
   * Starts {@code command}, writes {@code stdin} to it from a background thread and then closes its
   * stdin (an empty array closes it at once).
   */
  public static ExternalProcess start(List<String> command, byte[] stdin) {
    requireExecutable(command.get(0));
    Process process;
    try {
      process = new ProcessBuilder(command).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    LIVE.add(process);
    process.onExit().thenRun(() -> LIVE.remove(process));

    ExternalProcess started = new ExternalProcess(command, process);
    started.feedStdin(stdin);
    return started;
  }

  private static void requireExecutable(String program) {
    if (!Files.isExecutable(Path.of(program))) {
      throw new IllegalStateException(program + " is missing: .ci/run installs it with apt-get");
    }
  }

  private void feedStdin(byte[] stdin) {
    Thread feeder =
        new Thread(
            () -> {
              try (OutputStream in = process.getOutputStream()) {
                in.write(stdin);
              } catch (IOException e) {
                // The child closed its stdin early (it failed, or did not want the input).
              }
            },
            "stdin-" + process.pid());
    feeder.setDaemon(true);
    feeder.start();
  }

  private static CompletableFuture<byte[]> readAllAsync(
      InputStream from, ByteArrayOutputStream to) {
    CompletableFuture<byte[]> done = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              byte[] chunk = new byte[8192];
              try (from) {
                for (int n; (n = from.read(chunk)) >= 0; ) {
                  synchronized (to) {
                    to.write(chunk, 0, n);
                  }
                }
              } catch (IOException e) {
                // The stream closes when the process is killed; keep what arrived.
              }
              synchronized (to) {
                done.complete(to.toByteArray());
              }
            },
            "drain");
    reader.setDaemon(true);
    reader.start();
    return done;
  }

  public ProcessHandle handle() {
    return process.toHandle();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** What the process wrote to stderr so far. */
  public String stderr() {
    synchronized (stderr) {
      return stderr.toString(StandardCharsets.UTF_8);
    }
  }

  /**
   * Waits for the exit code, or returns empty when the process still runs after {@code timeout}.
   */
  public Optional<Integer> awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return Optional.empty();
      }
      // Once the process is gone, its pipes reach EOF soon: let the drains catch the last words.
      stderrDrained.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return Optional.of(process.exitValue());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + command, e);
    } catch (ExecutionException | TimeoutException e) {
      return Optional.of(process.exitValue());
    }
  }

  /** Everything the process wrote to stdout, once it has exited and the stream is closed. */
  public byte[] stdout(Duration timeout) {
    try {
      return stdout.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted reading stdout of " + command, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("stdout of " + command + " not closed in " + timeout, e);
    }
  }

  /** Sends SIGTERM, the signal a daemon gets on an orderly stop. */
  public void terminate() {
    process.destroy();
  }

  /** Kills the process with SIGKILL and waits (bounded) until it is gone. */
  @Override
  public void close() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(5));
  }

  @Override
  public String toString() {
    return String.join(" ", command)
        + " (pid "
        + process.pid()
        + (process.isAlive() ? ", running" : ", exited")
        + ")\n--- stderr ---\n"
        + stderr();
  }
}
