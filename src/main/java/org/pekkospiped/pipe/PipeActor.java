package org.pekkospiped.pipe;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.pekkospiped.config.Endpoint;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.config.StreamSettings;
import org.pekkospiped.metrics.PipeMetrics;
import org.pekkospiped.protocol.HandshakeSession;

/**
 * One configured pipe: binds its source, serves every accepted connection, and keeps its
 * target's address fresh.
 *
 * <p>A bind failure makes this actor fail, so its supervisor restarts it with backoff; the
 * connections it already accepted run in their own stream graphs and are not touched.
 *
 * <p>At shutdown it is told to stop accepting: it unbinds its source (a Unix socket's file goes
 * with it) and binds no more, while the open connections go on.
 */
final class PipeActor {
  interface Command {}

  private record Listening(Sockets.Listening socket) implements Command {}

  private record BindFailed(Throwable cause) implements Command {}

  private record AcceptLoopEnded(Throwable cause) implements Command {}

  private record TargetResolved(InetSocketAddress address) implements Command {}

  private record ResolveFailed(Throwable cause) implements Command {}

  private enum ReResolveTarget implements Command {
    INSTANCE
  }

  /** Unbind the source for good; replied to once it no longer accepts. */
  record StopAccepting(ActorRef<Done> replyTo) implements Command {}

  private record Unbound(ActorRef<Done> replyTo) implements Command {}

  /** Told when a pipe starts listening, so a caller can wait until every pipe is ready. */
  interface Events {
    void listening(String pipe, String address);
  }

  /** Thrown to make the supervisor restart the pipe with backoff. */
  static final class PipeFailure extends RuntimeException {
    PipeFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final ActorContext<Command> context;
  private final PipeSettings pipe;
  private final Events events;
  private final PipeMetrics metrics;
  private final PipeShutdown shutdown;
  private final AtomicReference<SocketAddress> target = new AtomicReference<>();
  private Sockets.Listening socket;
  private CompletionStage<Done> acceptLoop;

  private PipeActor(
      ActorContext<Command> context,
      PipeSettings pipe,
      Events events,
      PipeMetrics metrics,
      PipeShutdown shutdown) {
    this.context = context;
    this.pipe = pipe;
    this.events = events;
    this.metrics = metrics;
    this.shutdown = shutdown;
  }

  /**
   * @param metrics the pipe's meters, made once so that they outlive restarts
   * @param shutdown the pipe's shutdown state, likewise
   */
  static Behavior<Command> create(
      SpipedSettings settings,
      PipeSettings pipe,
      Events events,
      PipeMetrics metrics,
      PipeShutdown shutdown) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new PipeActor(context, pipe, events, metrics, shutdown)
                        .start(settings, timers)));
  }

  private Behavior<Command> start(SpipedSettings settings, TimerScheduler<Command> timers) {
    // A pipe restarted during shutdown neither resolves nor binds: it only waits to be stopped,
    // while its old connections are waited for.
    if (shutdown.stopping()) {
      return receive();
    }

    // The first resolution is done before binding: a pipe without a target is no use. The bind
    // address is resolved here once, not per connection on the threads that move packets.
    Optional<InetSocketAddress> local;
    try {
      target.set(
          pipe.target() instanceof Endpoint.Unix unix
              ? UnixDomainSocketAddress.of(unix.path())
              : resolveTarget());
      local = resolveBindAddress();
    } catch (PipeFailure e) {
      if (shutdown.stopping()) {
        // Shutdown began while the name was being looked up: there is nothing to retry for.
        return receive();
      }
      context.getLog().error("pipe [{}]: {}; retrying with backoff", pipe.name(), e.getMessage());
      throw e;
    }
    pipe.reResolveInterval()
        .filter(interval -> pipe.target() instanceof Endpoint.Tcp tcp && !tcp.literal())
        .ifPresent(
            interval -> timers.startTimerWithFixedDelay(ReResolveTarget.INSTANCE, interval));

    Executor handshakes =
        context
            .getSystem()
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig("pekko-spiped.handshake-dispatcher"));
    handshakes.execute(() -> HandshakeSession.prepare(pipe.forwardSecrecy()));
    ConnectionEvents connectionEvents =
        new ConnectionEvents(pipe, metrics, settings.logRepeatInterval());
    Connections connections =
        new Connections(
            context.getSystem(),
            pipe,
            settings.stream(),
            handshakes,
            target::get,
            local,
            connectionEvents,
            shutdown);
    acceptConnections(connections, settings.stream());

    return receive();
  }

  /** Accepts while fewer than max-connections are open; past that, the backlog holds them. */
  private void acceptConnections(Connections connections, StreamSettings stream) {
    int limit = pipe.maxConnections() == 0 ? Integer.MAX_VALUE : pipe.maxConnections();
    Pair<CompletionStage<Sockets.Listening>, CompletionStage<Done>> running =
            Sockets.listen(context.getSystem(), pipe, stream)
                .mapAsyncUnordered(limit, connections::serve)
                .toMat(Sink.ignore(), Keep.both())
                .addAttributes(Sockets.placement(stream))
                .run(context.getSystem());

    // The accept loop's end is watched only once bound: a failed bind ends it too, and that
    // second message would otherwise reach (and restart) the next incarnation of this actor.
    acceptLoop = running.second();
    context.pipeToSelf(
        running.first(),
        (listening, failure) ->
            failure == null ? new Listening(listening) : new BindFailed(failure));
  }

  private Behavior<Command> receive() {
    return Behaviors.receive(Command.class)
            .onMessage(Listening.class, this::onListening)
            .onMessage(BindFailed.class, this::onBindFailed)
            .onMessage(AcceptLoopEnded.class, this::onAcceptLoopEnded)
            .onMessageEquals(ReResolveTarget.INSTANCE, this::onReResolveTarget)
            .onMessage(TargetResolved.class, this::onTargetResolved)
            .onMessage(ResolveFailed.class, this::onResolveFailed)
            .onMessage(StopAccepting.class, this::onStopAccepting)
            .onMessage(Unbound.class, this::onUnbound)
            .onSignal(PostStop.class, signal -> unbind())
            .onSignal(PreRestart.class, signal -> unbind())
            .build();
  }

  private Behavior<Command> onListening(Listening message) {
    socket = message.socket();
    shutdown.bound(true);
    if (shutdown.stopping()) {
      // The bind finished after shutdown began: the source must not stay open.
      return unbind();
    }
    context.pipeToSelf(acceptLoop, (done, failure) -> new AcceptLoopEnded(failure));
    context
        .getLog()
        .info(
            "pipe [{}] listening on {}, {} to {} (forward secrecy {}, {})",
            pipe.name(),
            socket.address(),
            pipe.mode().name().toLowerCase(),
            pipe.target(),
            pipe.forwardSecrecy().name().toLowerCase(),
            connectionLimit());
    events.listening(pipe.name(), socket.address());
    return Behaviors.same();
  }

  private String connectionLimit() {
    return switch (pipe.maxConnections()) {
      case 0 -> "no connection limit";
      case 1 -> "up to 1 connection";
      default -> "up to " + pipe.maxConnections() + " connections";
    };
  }

  private Behavior<Command> onBindFailed(BindFailed message) {
    context
        .getLog()
        .error(
            "pipe [{}]: cannot listen on {}: {}; retrying with backoff",
            pipe.name(),
            pipe.source(),
            rootMessage(message.cause()));
    throw new PipeFailure("bind failed", message.cause());
  }

  private Behavior<Command> onAcceptLoopEnded(AcceptLoopEnded message) {
    if (message.cause() == null) {
      return Behaviors.same();
    }
    context
        .getLog()
        .error(
            "pipe [{}]: stopped accepting: {}; restarting",
            pipe.name(),
            rootMessage(message.cause()));
    throw new PipeFailure("accept loop failed", message.cause());
  }

  private Behavior<Command> onReResolveTarget() {
    Executor blocking =
        context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    context.pipeToSelf(
        CompletableFuture.supplyAsync(this::resolveTarget, blocking),
        (address, failure) ->
            failure == null ? new TargetResolved(address) : new ResolveFailed(failure));
    return Behaviors.same();
  }

  private Behavior<Command> onTargetResolved(TargetResolved message) {
    if (!message.address().equals(target.get())) {
      context
          .getLog()
          .info("pipe [{}]: target {} now resolves to {}", pipe.name(), pipe.target(),
              message.address().getAddress().getHostAddress());
    }
    target.set(message.address());
    return Behaviors.same();
  }

  private Behavior<Command> onResolveFailed(ResolveFailed message) {
    // spiped keeps the last good address when the name stops resolving; so do we.
    Throwable cause = message.cause();
    while (!(cause instanceof PipeFailure) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    context
        .getLog()
        .warn(
            "pipe [{}]: {}; keeping {}",
            pipe.name(),
            cause instanceof PipeFailure ? cause.getMessage() : rootMessage(cause),
            target.get());
    return Behaviors.same();
  }

  private Behavior<Command> onStopAccepting(StopAccepting message) {
    CompletionStage<Done> unbound =
        socket == null ? CompletableFuture.completedFuture(Done.getInstance()) : socket.unbind();
    socket = null;
    shutdown.bound(false);
    context.pipeToSelf(unbound, (done, failure) -> new Unbound(message.replyTo()));
    return Behaviors.same();
  }

  private Behavior<Command> onUnbound(Unbound message) {
    context
        .getLog()
        .info(
            "pipe [{}] stopped accepting; {} still open",
            pipe.name(),
            PipeShutdown.connections(shutdown.open()));
    message.replyTo().tell(Done.getInstance());
    return Behaviors.same();
  }

  /** Only a TCP target is resolved; a Unix socket's path is used as it is. */
  private InetSocketAddress resolveTarget() {
    return resolve("target", (Endpoint.Tcp) pipe.target());
  }

  private Optional<InetSocketAddress> resolveBindAddress() {
    return pipe.bindAddress().map(bind -> resolve("bind-address", (Endpoint.Tcp) bind));
  }

  /** @param setting what the address is, for the failure's message */
  private static InetSocketAddress resolve(String setting, Endpoint.Tcp tcp) {
    try {
      return new InetSocketAddress(InetAddress.getByName(tcp.host()), tcp.port());
    } catch (UnknownHostException e) {
      String why = lookupFailure(tcp.host(), e);
      throw new PipeFailure("cannot resolve " + setting + " " + tcp.host() + " (" + why + ")", e);
    }
  }

  /**
   * Why a name did not resolve. The JDK's first failure reads "host: Name or service not known";
   * a failure it repeats from its negative cache carries only the host, which says nothing.
   */
  static String lookupFailure(String host, UnknownHostException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    String prefix = host + ": ";
    if (message.startsWith(prefix) && message.length() > prefix.length()) {
      return message.substring(prefix.length());
    }
    return message.isEmpty() || message.equals(host) ? "unknown host" : message;
  }

  private Behavior<Command> unbind() {
    if (socket != null) {
      socket.unbind();
      socket = null;
      shutdown.bound(false);
    }
    return Behaviors.same();
  }

  static String rootMessage(Throwable failure) {
    Throwable cause = failure;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }
}
