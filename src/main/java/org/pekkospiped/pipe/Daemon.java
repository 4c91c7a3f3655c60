package org.pekkospiped.pipe;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.metrics.Metrics;

/**
 * A running pekko-spiped: an actor system with one supervised actor per configured pipe.
 *
 * <p>Stopping it (or the JVM receiving SIGTERM) runs Pekko's coordinated shutdown.
 */
public final class Daemon implements AutoCloseable {
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
            Guardian.create(settings, events, metrics), "pekko-spiped", settings.config());
    system.getWhenTerminated().thenRun(metrics::close);
    return new Daemon(system, listening, metrics);
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

  @Override
  public void close() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }
}
