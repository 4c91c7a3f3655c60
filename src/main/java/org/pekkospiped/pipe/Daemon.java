package org.pekkospiped.pipe;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SpipedSettings;

/**
 * A running pekko-spiped: an actor system with one supervised actor per configured pipe.
 *
 * <p>Stopping it (or the JVM receiving SIGTERM) runs Pekko's coordinated shutdown.
 */
public final class Daemon implements AutoCloseable {
  private final ActorSystem<Void> system;
  private final CompletableFuture<Done> listening;

  private Daemon(ActorSystem<Void> system, CompletableFuture<Done> listening) {
    this.system = system;
    this.listening = listening;
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

    ActorSystem<Void> system =
        ActorSystem.create(Guardian.create(settings, events), "pekko-spiped", settings.config());
    return new Daemon(system, listening);
  }

  /** Completes once every pipe has bound its source for the first time. */
  public CompletionStage<Done> listening() {
    return listening;
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
