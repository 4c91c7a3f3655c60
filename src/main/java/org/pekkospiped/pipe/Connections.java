package org.pekkospiped.pipe;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.util.ByteString;
import org.pekkospiped.config.Mode;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.StreamSettings;
import org.pekkospiped.protocol.HandshakeSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the connections accepted by one pipe: each gets its own stream graph, joined from the
 * accepted socket through the protocol stack to the target, and its end is reported once.
 *
 * <p>An encrypting pipe connects to its target at once and is the protocol's client there. A
 * decrypting pipe is the server on the accepted socket and connects to its target only after
 * the peer has proven the key, so a peer without it never reaches the target.
 */
final class Connections {
  private static final Logger log = LoggerFactory.getLogger(Connections.class);

  private final ActorSystem<?> system;
  private final PipeSettings pipe;
  private final StreamSettings stream;

  /** Where each connection's graph runs: the same for all, so made once. */
  private final Attributes placement;
  private final Executor handshakes;
  private final Supplier<SocketAddress> target;
  private final Optional<InetSocketAddress> local;
  private final ConnectionEvents events;
  private final PipeShutdown shutdown;
  private final SecureRandom random = new SecureRandom();
  private final AtomicInteger active = new AtomicInteger();

  /**
   * @param handshakes where handshake exponentiations run
   * @param target the target's address as last resolved
   * @param local the resolved bind address of outgoing connections, empty for any
   * @param events where each connection's start, bytes and end are reported
   * @param shutdown told of every connection, so that shutdown can wait for them
   */
  Connections(
      ActorSystem<?> system,
      PipeSettings pipe,
      StreamSettings stream,
      Executor handshakes,
      Supplier<SocketAddress> target,
      Optional<InetSocketAddress> local,
      ConnectionEvents events,
      PipeShutdown shutdown) {
    this.system = system;
    this.pipe = pipe;
    this.stream = stream;
    this.placement = Sockets.placement(stream);
    this.handshakes = handshakes;
    this.target = target;
    this.local = local;
    this.events = events;
    this.shutdown = shutdown;
  }

  /** Runs one connection; the result completes, never exceptionally, when it has ended. */
  CompletionStage<Done> serve(Sockets.Accepted accepted) {
    countOpened();

    CompletionStage<Done> targetConnected;
    Handshake handshake;
    try {
      if (pipe.mode() == Mode.ENCRYPT) {
        handshake = new Handshake(clientSession(), handshakes);
        targetConnected = runEncrypting(accepted, handshake);
      } else {
        handshake = new Handshake(serverSession(), handshakes);
        targetConnected = runDecrypting(accepted, handshake);
      }
    } catch (RuntimeException e) {
      countClosed();
      log.error("pipe [{}]: cannot start a connection from {}", pipe.name(), accepted.peer(), e);
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    return handshake
        .closed()
        .handle(
            (done, failure) -> {
              // Reported first: once the last connection counts as closed, shutdown goes on.
              report(accepted, failure, targetConnected);
              countClosed();
              return Done.getInstance();
            });
  }

  /** Plaintext from the accepted socket is sealed towards the target, where we are client. */
  private CompletionStage<Done> runEncrypting(Sockets.Accepted accepted, Handshake handshake) {
    Flow<ByteString, ByteString, CompletionStage<Done>> plaintextSide =
        ProtocolStack.create(handshake, true, pipe.timeout(), stream.packetsPerWrite())
            .join(shutdown.closable(connectTarget()), Keep.right());
    return counted(accepted.flow(), events::targetToSource, events::sourceToTarget)
        .joinMat(plaintextSide, Keep.right())
        .addAttributes(placement)
        .run(system);
  }

  /** The accepted socket carries packets; we are server, and reach the target once proven. */
  private CompletionStage<Done> runDecrypting(Sockets.Accepted accepted, Handshake handshake) {
    // Stays incomplete when the peer never proves the key, as no connection is attempted then.
    CompletableFuture<Done> targetConnected = new CompletableFuture<>();
    Flow<ByteString, ByteString, CompletionStage<CompletionStage<Done>>> targetSide =
        Flow.completionStageFlow(
            handshake
                .peerProven()
                .thenApply(
                    proven ->
                        counted(
                                connectTarget(),
                                events::sourceToTarget,
                                events::targetToSource)
                            .mapMaterializedValue(
                                connected -> reportTo(connected, targetConnected))));
    Flow<ByteString, ByteString, CompletionStage<CompletionStage<Done>>> networkSide =
        targetSide.join(
            ProtocolStack.create(handshake, false, pipe.timeout(), stream.packetsPerWrite()));
    shutdown
        .closable(accepted.flow())
        .join(networkSide)
        .addAttributes(placement)
        .run(system);
    return targetConnected;
  }

  private Flow<ByteString, ByteString, CompletionStage<Done>> connectTarget() {
    return Sockets.connect(system, stream, target.get(), pipe.timeout(), pipe.keepAlive(), local);
  }

  private static CompletionStage<Done> reportTo(
      CompletionStage<Done> connected, CompletableFuture<Done> outcome) {
    connected.whenComplete(
        (done, failure) -> {
          if (failure == null) {
            outcome.complete(done);
          } else {
            outcome.completeExceptionally(failure);
          }
        });
    return connected;
  }

  /**
   * The plaintext socket of a connection, with its bytes counted on the way in and out. The
   * counting maps fuse with the socket's stage, so they add no asynchronous boundary.
   */
  private static <M> Flow<ByteString, ByteString, M> counted(
      Flow<ByteString, ByteString, M> socket, IntConsumer written, IntConsumer read) {
    return Flow.of(ByteString.class)
        .map(
            chunk -> {
              written.accept(chunk.size());
              return chunk;
            })
        .viaMat(socket, Keep.right())
        .map(
            chunk -> {
              read.accept(chunk.size());
              return chunk;
            });
  }

  private HandshakeSession clientSession() {
    return HandshakeSession.client(pipe.keys().get(0), pipe.forwardSecrecy(), random);
  }

  private HandshakeSession serverSession() {
    return HandshakeSession.server(pipe.keys(), pipe.forwardSecrecy(), random);
  }

  private void countOpened() {
    events.accepted();
    shutdown.opened();
    int now = active.incrementAndGet();
    if (now == pipe.maxConnections()) {
      events.limitReached(now);
    }
  }

  private void countClosed() {
    events.closed();
    shutdown.closed();
    int before = active.getAndDecrement();
    if (before == pipe.maxConnections()) {
      events.belowLimit();
    }
  }

  /** One line and one count per connection that did not end cleanly: see ConnectionEvents. */
  private void report(
      Sockets.Accepted accepted, Throwable failure, CompletionStage<Done> targetConnected) {
    Throwable cause = failure == null ? null : unwrap(failure);
    events.ended(accepted.peer(), cause, connectFailure(targetConnected));
  }

  private static Throwable connectFailure(CompletionStage<Done> targetConnected) {
    CompletableFuture<Done> connected = targetConnected.toCompletableFuture();
    if (!connected.isCompletedExceptionally()) {
      return null;
    }
    try {
      connected.join();
      return null;
    } catch (CompletionException e) {
      return unwrap(e);
    }
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
