package org.pekkospiped.pipe;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import org.apache.pekko.stream.AbruptStageTerminationException;
import org.apache.pekko.stream.AbruptTerminationException;
import org.apache.pekko.stream.StreamTcpException;
import org.pekkospiped.config.Mode;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.metrics.PipeMetrics;
import org.pekkospiped.protocol.HandshakeException;
import org.pekkospiped.protocol.PacketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * What happens to one pipe's connections, told to its metrics and to the log: each connection
 * that ends badly gets one line, at a level that says who has to act.
 *
 * <ul>
 *   <li>WARN: the operator should look: the target cannot be reached, the connection limit is
 *       reached, or an encrypting pipe's target fails the handshake (wrong key, not spiped).
 *   <li>INFO: a peer of a decrypting pipe failed the handshake, or any peer sent a bad or cut
 *       short packet. Usually scanners or attacks; a filter on this class's logger at WARN hides
 *       them.
 *   <li>DEBUG: clean closes, resets and other socket errors, and shutdown.
 * </ul>
 *
 * <p>Lines at INFO and above are throttled per reason: within the repeat interval the first one
 * is logged and the rest go to DEBUG, counted into the next line of that reason as "(and N
 * more)". The metrics count every one. Nothing secret is ever logged: the protocol's exceptions
 * carry no key, nonce or plaintext.
 */
final class ConnectionEvents {
  /** Connection lines are logged under Connections, the name operators filter on. */
  private static final Logger log = LoggerFactory.getLogger(Connections.class);

  private final PipeSettings pipe;
  private final PipeMetrics metrics;
  private final LogThrottle throttle;

  ConnectionEvents(PipeSettings pipe, PipeMetrics metrics, Duration repeatInterval) {
    this(pipe, metrics, new LogThrottle(repeatInterval));
  }

  ConnectionEvents(PipeSettings pipe, PipeMetrics metrics, LogThrottle throttle) {
    this.pipe = pipe;
    this.metrics = metrics;
    this.throttle = throttle;
  }

  void accepted() {
    metrics.connectionAccepted();
  }

  void closed() {
    metrics.connectionClosed();
  }

  void limitReached(int limit) {
    metrics.limitReached();
    emit(
        Level.WARN,
        "limit",
        null,
        "pipe [{}]: connection limit {} reached; new connections wait in the listen backlog",
        pipe.name(),
        limit);
  }

  void belowLimit() {
    emit(
        Level.INFO,
        "below-limit",
        null,
        "pipe [{}]: below the connection limit again, accepting",
        pipe.name());
  }

  void sourceToTarget(int bytes) {
    metrics.sourceToTarget(bytes);
  }

  void targetToSource(int bytes) {
    metrics.targetToSource(bytes);
  }

  /**
   * One line and one count for a connection that has ended.
   *
   * @param failure why the connection was dropped, or null when it closed cleanly
   * @param connectFailure why the target could not be connected to, or null if it was (or was
   *     never tried)
   */
  void ended(String peer, Throwable failure, Throwable connectFailure) {
    if (failure == null) {
      log.debug("pipe [{}]: connection from {} closed", pipe.name(), peer);
    } else if (connectFailure != null) {
      metrics.targetConnectFailed();
      emit(
          Level.WARN,
          "target",
          null,
          "pipe [{}]: connection from {} dropped: cannot connect to target {}: {}",
          pipe.name(),
          peer,
          pipe.target(),
          // The stream's failure says why; the connect future only says that it failed.
          PipeActor.rootMessage(failure));
    } else if (failure instanceof HandshakeException handshake) {
      handshakeFailed(peer, handshake);
    } else if (failure instanceof PacketException) {
      packetRejected(peer, failure);
    } else {
      otherFailure(peer, failure);
    }
  }

  private void handshakeFailed(String peer, HandshakeException failure) {
    metrics.handshakeFailed(failure.reason());
    String reason = failure.reason().name().toLowerCase(Locale.ROOT);
    if (pipe.mode() == Mode.ENCRYPT) {
      // Our peer in the handshake is the target: a failure there is a wrong key or a wrong target.
      emit(
          Level.WARN,
          "handshake-" + reason,
          null,
          "pipe [{}]: connection from {} dropped: handshake with target {} failed ({})",
          pipe.name(),
          peer,
          pipe.target(),
          reason);
    } else {
      emit(
          Level.INFO,
          "handshake-" + reason,
          null,
          "pipe [{}]: connection from {} dropped: handshake failed ({})",
          pipe.name(),
          peer,
          reason);
    }
  }

  private void packetRejected(String peer, Throwable failure) {
    boolean truncated = PacketStage.TRUNCATED.equals(failure.getMessage());
    PipeMetrics.Drop drop =
        truncated ? PipeMetrics.Drop.TRUNCATED_PACKET : PipeMetrics.Drop.BAD_PACKET;
    metrics.dropped(drop);
    String from = pipe.mode() == Mode.ENCRYPT ? "target" : "peer";
    if (truncated) {
      emit(
          Level.INFO,
          drop.name(),
          null,
          "pipe [{}]: connection from {} dropped: truncated packet from {}",
          pipe.name(),
          peer,
          from);
    } else {
      // The message is the opener's own, terse on purpose: MAC or length, never a value.
      emit(
          Level.INFO,
          drop.name(),
          null,
          "pipe [{}]: connection from {} dropped: bad packet from {} ({})",
          pipe.name(),
          peer,
          from,
          failure.getMessage());
    }
  }

  private void otherFailure(String peer, Throwable failure) {
    if (failure instanceof StreamTcpException || failure instanceof IOException) {
      metrics.dropped(PipeMetrics.Drop.SOCKET_ERROR);
      log.debug(
          "pipe [{}]: connection from {} dropped: socket error: {}",
          pipe.name(),
          peer,
          PipeActor.rootMessage(failure));
    } else if (failure instanceof PipeShutdown.ShutdownException
        || failure instanceof AbruptStageTerminationException
        || failure instanceof AbruptTerminationException) {
      metrics.dropped(PipeMetrics.Drop.SHUTDOWN);
      log.debug("pipe [{}]: connection from {} closed by shutdown", pipe.name(), peer);
    } else {
      metrics.dropped(PipeMetrics.Drop.OTHER);
      emit(
          Level.WARN,
          "other",
          failure,
          "pipe [{}]: connection from {} dropped: {}",
          pipe.name(),
          peer,
          failure.toString());
    }
  }

  /** Logs at level, or at DEBUG when the throttle holds the line back. */
  private void emit(Level level, String reason, Throwable cause, String format, Object... args) {
    long heldBack = throttle.admit(reason);
    LoggingEventBuilder line =
        log.atLevel(heldBack == LogThrottle.HOLD_BACK ? Level.DEBUG : level).setMessage(format);
    for (Object arg : args) {
      line = line.addArgument(arg);
    }
    if (heldBack > 0) {
      line = line.setMessage(format + " (and {} more)").addArgument(heldBack);
    }
    if (cause != null) {
      line = line.setCause(cause);
    }
    line.log();
  }
}
