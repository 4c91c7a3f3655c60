package org.pekkospiped.pipe;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipe's part in a graceful shutdown: whether it is stopping, how many of its connections
 * are still open, and the switch that closes those left when the wait is over.
 *
 * <p>Made once per pipe, beside its metrics, so that it outlives the pipe's restarts: a
 * connection accepted before a restart is waited for, and closed, like any other.
 */
final class PipeShutdown {
  private static final Logger log = LoggerFactory.getLogger(PipeShutdown.class);

  private final String pipe;
  private final SharedKillSwitch closeRemaining;
  private final AtomicInteger open = new AtomicInteger();
  private final CompletableFuture<Done> drained = new CompletableFuture<>();
  private volatile boolean stopping;
  private volatile boolean bound;

  PipeShutdown(String pipe) {
    this.pipe = pipe;
    this.closeRemaining = KillSwitches.shared("spiped-shutdown-" + pipe);
  }

  /** From now on the pipe binds no more; set before it is told to unbind. */
  void beginStopping() {
    stopping = true;
  }

  boolean stopping() {
    return stopping;
  }

  /**
   * Whether the pipe's source is bound now. Set by the pipe before it checks {@link #stopping()},
   * and read by shutdown after {@link #beginStopping()}: so either shutdown sees the socket and
   * asks the pipe to unbind it, or the pipe sees that shutdown has begun and unbinds it itself.
   */
  void bound(boolean now) {
    bound = now;
  }

  boolean bound() {
    return bound;
  }

  /** Connections open now, whichever incarnation of the pipe accepted them. */
  int open() {
    return open.get();
  }

  void opened() {
    open.incrementAndGet();
  }

  void closed() {
    if (open.decrementAndGet() == 0 && stopping) {
      drained.complete(Done.getInstance());
    }
  }

  /**
   * The socket a connection reads from the network, so that closing what is left fails the
   * connection's handshake stage with a {@link ShutdownException}, and with it the whole
   * connection.
   */
  <M> Flow<ByteString, ByteString, M> closable(Flow<ByteString, ByteString, M> network) {
    return network.via(closeRemaining.flow());
  }

  /**
   * Waits up to {@code allowed} for the open connections to end by themselves, then closes the
   * rest; completes once none is left.
   */
  CompletionStage<Done> drain(Duration allowed) {
    stopping = true;
    int left = open.get();
    if (left == 0) {
      drained.complete(Done.getInstance());
    } else if (!allowed.isZero()) {
      // Said at once: an operator who pressed Ctrl-C should know why nothing seems to happen.
      log.info(
          "pipe [{}]: waiting up to {} for {} to end", pipe, describe(allowed), connections(left));
    }

    return drained
        .thenApply(done -> true)
        .completeOnTimeout(false, allowed.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(endedInTime -> endedInTime ? logDrained() : closeRemaining(allowed));
  }

  private CompletionStage<Done> logDrained() {
    log.info("pipe [{}]: all connections have ended", pipe);
    return drained;
  }

  private CompletionStage<Done> closeRemaining(Duration allowed) {
    // Closing at once was asked for (shutdown-timeout 0s, or Daemon.close); a wait that ran out
    // means connections were cut short, which the operator should hear about.
    String left = connections(open.get());
    if (allowed.isZero()) {
      log.info("pipe [{}]: closing {} still open", pipe, left);
    } else {
      log.warn(
          "pipe [{}]: closing {} still open after shutdown-timeout {}",
          pipe,
          left,
          describe(allowed));
    }
    closeRemaining.abort(new ShutdownException());
    return drained;
  }

  /** "1 connection", "2 connections". */
  static String connections(int count) {
    return count + (count == 1 ? " connection" : " connections");
  }

  /** 30s or 1500ms, as the setting would be written; Duration's own form reads PT30S. */
  private static String describe(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }

  /** Why a connection still open at the end of shutdown-timeout was closed. */
  static final class ShutdownException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ShutdownException() {
      super("closed by shutdown", null, false, false);
    }
  }
}
