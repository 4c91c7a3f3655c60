package org.pekkospiped.pipe;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.metrics.Metrics;

/**
 * A running pekko-spiped: an actor system with one supervised actor per configured pipe.
 *
 * <p>{@link #shutdown()}, which SIGTERM calls, stops it gracefully: every pipe stops accepting
 * at once, and the daemon stops when the last open connection has ended, or when
 * shutdown-timeout runs out and the rest are closed. {@link #close()} closes them at once.
 */
public final class Daemon implements AutoCloseable {
  /**
   * Time for the connections closed at the end of shutdown-timeout to finish closing. Pekko's
   * phase timeout must cover both, or it would move on while connections are being closed.
   */
  private static final Duration CLOSING_GRACE = Duration.ofSeconds(5);

  /** Why the daemon stops when {@link #shutdown()} is called. */
  private static final CoordinatedShutdown.Reason SHUTDOWN_REQUESTED = new ShutdownRequested();

  private final ActorSystem<Void> system;
  private final CompletableFuture<Done> listening;
  private final Metrics metrics;

  private Daemon(ActorSystem<Void> system, CompletableFuture<Done> listening, Metrics metrics) {
    this.system = system;
    this.listening = listening;
    this.metrics = metrics;
  }

  /** Starts every pipe in settings; they bind in the background. */
  public static Daemon start(SpipedSettings settings) {
    Set<String> waiting = ConcurrentHashMap.newKeySet();
    settings.pipes().stream().map(PipeSettings::name).forEach(waiting::add);
    CompletableFuture<Done> listening = new CompletableFuture<>();
    PipeActor.Events events =
        (pipe, address) -> {
          if (waiting.remove(pipe) && waiting.isEmpty()) {
            listening.complete(Done.getInstance());
          }
        };

    Metrics metrics = Metrics.start(settings);
    ActorSystem<Void> system =
        ActorSystem.create(
            Guardian.create(settings, events, metrics),
            "pekko-spiped",
            actorSystemConfig(settings));
    system.getWhenTerminated().thenRun(metrics::close);
    return new Daemon(system, listening, metrics);
  }

  /** Our settings, with the wait in phase service-requests-done made as long as we need. */
  private static Config actorSystemConfig(SpipedSettings settings) {
    Duration phaseTimeout = settings.shutdownTimeout().plus(CLOSING_GRACE);
    Map<String, Object> timeout =
        Map.of(
            "pekko.coordinated-shutdown.phases.service-requests-done.timeout",
            phaseTimeout.toMillis() + "ms");
    return ConfigFactory.parseMap(timeout).withFallback(settings.config());
  }

  /** Completes once every pipe has bound its source for the first time. */
  public CompletionStage<Done> listening() {
    return listening;
  }

  /** The daemon's meters; closed when it stops. */
  public Metrics metrics() {
    return metrics;
  }

  /** Completes when the daemon has stopped. */
  public CompletionStage<Done> terminated() {
    return system.getWhenTerminated();
  }

  /**
   * Stops gracefully, as on SIGTERM: no more accepting, and open connections get up to
   * shutdown-timeout to end by themselves. Completes when the daemon has stopped.
   */
  public CompletionStage<Done> shutdown() {
    return CoordinatedShutdown.get(system)
        .runAll(SHUTDOWN_REQUESTED)
        .thenCompose(done -> terminated());
  }

  /** Stops now: every pipe unbinds, and open connections are closed without waiting. */
  @Override
  public void close() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  private static final class ShutdownRequested implements CoordinatedShutdown.Reason {
    @Override
    public String toString() {
      return "ShutdownRequested";
    }
  }
}
