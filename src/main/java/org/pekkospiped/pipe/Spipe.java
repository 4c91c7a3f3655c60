package org.pekkospiped.pipe;

import com.typesafe.config.Config;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.net.UnixDomainSocketAddress;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.IOResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;
import org.pekkospiped.config.Endpoint;
import org.pekkospiped.config.SpipeOptions;
import org.pekkospiped.config.StreamSettings;
import org.pekkospiped.protocol.HandshakeException;
import org.pekkospiped.protocol.HandshakeFailure;
import org.pekkospiped.protocol.HandshakeSession;

/**
 * spipe: the client end of one encrypted connection, with a pair of byte streams (standard input
 * and output) as its plaintext side instead of an accepted socket.
 *
 * <pre>
 *   in   --> PacketStage --> HandshakeStage --> target (a decrypting spiped)
 *   out  <--             <--                <--
 * </pre>
 *
 * <p>EOF on {@code in} half-closes the connection; the run ends once the target has closed its
 * side too and every byte it sent has been written to {@code out}.
 */
public final class Spipe {
  private Spipe() {}

  /** Why a spipe run failed, in one line fit for stderr. */
  public static final class SpipeFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SpipeFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Runs one connection in an actor system of its own, stopped before the result completes.
   *
   * @param config the whole configuration, for the actor system and the stream settings
   * @return completes once both directions have ended; fails with a {@link SpipeFailure}
   */
  public static CompletionStage<Done> run(
      SpipeOptions options, Config config, InputStream in, OutputStream out) {
    SocketAddress target;
    try {
      target = resolve(options.target());
    } catch (SpipeFailure e) {
      return CompletableFuture.failedFuture(e);
    }

    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "spipe", config);
    CompletionStage<Done> finished;
    try {
      finished = connect(system, options, target, StreamSettings.load(config), in, out);
    } catch (RuntimeException e) {
      finished = CompletableFuture.failedFuture(e);
    }

    // The stream is over; the blocked read of stdin (if any) must not keep the system alive.
    return finished.whenComplete((done, failure) -> system.terminate());
  }

  private static CompletionStage<Done> connect(
      ActorSystem<?> system,
      SpipeOptions options,
      SocketAddress target,
      StreamSettings stream,
      InputStream in,
      OutputStream out) {
    Executor handshakes =
        system
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig("pekko-spiped.handshake-dispatcher"));
    HandshakeSession session =
        HandshakeSession.client(options.key(), options.forwardSecrecy(), new SecureRandom());
    Handshake handshake = new Handshake(session, handshakes);

    Flow<ByteString, ByteString, CompletionStage<Done>> network =
        ProtocolStack.create(handshake, true, options.timeout(), stream.packetsPerWrite())
            .join(
                Sockets.connect(
                    system,
                    stream,
                    target,
                    options.timeout(),
                    options.keepAlive(),
                    Optional.empty()),
                Keep.right());

    // The blocking reads and writes run on Pekko's blocking-I/O dispatcher.
    Pair<CompletionStage<Done>, CompletionStage<IOResult>> ends =
        StreamConverters.fromInputStream(() -> in)
            .viaMat(network, Keep.right())
            .toMat(StreamConverters.fromOutputStream(() -> out, true), Keep.both())
            .run(system);
    CompletableFuture<Done> connected = ends.first().toCompletableFuture();

    return handshake
        .closed()
        .thenCombine(ends.second(), (closed, written) -> Done.getInstance())
        .exceptionallyCompose(
            failure -> CompletableFuture.failedFuture(explain(failure, connected, target)));
  }

  /** Only a TCP target is resolved; a Unix socket's path is used as it is. */
  private static SocketAddress resolve(Endpoint target) {
    if (target instanceof Endpoint.Unix unix) {
      return UnixDomainSocketAddress.of(unix.path());
    }
    Endpoint.Tcp tcp = (Endpoint.Tcp) target;
    try {
      return new InetSocketAddress(InetAddress.getByName(tcp.host()), tcp.port());
    } catch (UnknownHostException e) {
      String why = PipeActor.lookupFailure(tcp.host(), e);
      throw new SpipeFailure("cannot resolve " + tcp.host() + " (" + why + ")", e);
    }
  }

  /** A connect failure is told as such; anything later by its root cause. */
  private static SpipeFailure explain(
      Throwable failure, CompletableFuture<Done> connected, SocketAddress target) {
    if (connected.isCompletedExceptionally()) {
      Throwable cause = connected.handle((done, error) -> error).join();
      return new SpipeFailure(
          "cannot connect to " + describe(target) + " (" + PipeActor.rootMessage(cause) + ")",
          cause);
    }
    return new SpipeFailure(
        "connection to " + describe(target) + " failed: " + reason(failure), failure);
  }

  /** A failed handshake in words for whoever runs spipe; anything else by its root cause. */
  private static String reason(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof HandshakeException handshake) {
        return describe(handshake.reason());
      }
    }
    return PipeActor.rootMessage(failure);
  }

  /** What each failure means from the client's side of the handshake. */
  static String describe(HandshakeFailure reason) {
    return switch (reason) {
      // A spiped server closes without a word when our MAC is wrong, or when its target is down.
      case PEER_CLOSED ->
          "the server closed the connection during the handshake"
              + " (wrong key, or it cannot reach its target)";
      case BAD_MAC -> "the server does not hold our key (its handshake failed our MAC check)";
      case BAD_DH_VALUE -> "the server sent an invalid Diffie-Hellman value";
      case WEAK_PEER_REFUSED -> "the server skipped Diffie-Hellman, and -g requires it";
      case TIMEOUT -> "the handshake did not finish within the timeout (-o)";
    };
  }

  private static String describe(SocketAddress target) {
    return target instanceof InetSocketAddress tcp
        ? Sockets.describe(tcp)
        : ((UnixDomainSocketAddress) target).getPath().toString();
  }
}
