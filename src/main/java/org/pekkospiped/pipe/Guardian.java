package org.pekkospiped.pipe;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.metrics.Metrics;

/**
 * The root of the actor system: one supervised actor per configured pipe.
 *
 * <p>A pipe that fails (its source cannot be bound, its target cannot be resolved) is restarted
 * with exponential backoff, on its own: the other pipes and every open connection go on.
 *
 * <p>Each pipe takes part in Pekko's coordinated shutdown, which SIGTERM starts: in phase
 * service-unbind it stops accepting, and in phase service-requests-done its open connections
 * get up to shutdown-timeout to end before the rest are closed.
 */
final class Guardian {
  /** How long a pipe may take to unbind, well inside the service-unbind phase's 5 s. */
  private static final Duration UNBIND_TIMEOUT = Duration.ofSeconds(3);

  private Guardian() {}

  static Behavior<Void> create(
      SpipedSettings settings, PipeActor.Events events, Metrics metrics) {
    return Behaviors.setup(
        context -> {
          for (PipeSettings pipe : settings.pipes()) {
            PipeShutdown shutdown = new PipeShutdown(pipe.name());
            ActorRef<PipeActor.Command> actor =
                context.spawn(
                    supervised(settings, pipe, events, metrics, shutdown), actorName(pipe));
            joinShutdown(context.getSystem(), settings, pipe, actor, shutdown);
          }
          return Behaviors.empty();
        });
  }

  private static Behavior<PipeActor.Command> supervised(
      SpipedSettings settings,
      PipeSettings pipe,
      PipeActor.Events events,
      Metrics metrics,
      PipeShutdown shutdown) {
    // The pipe logs its own failure in one line; the supervisor's stack trace adds nothing.
    SupervisorStrategy restart =
        SupervisorStrategy.restartWithBackoff(
                settings.restartMinBackoff(), settings.restartMaxBackoff(), 0.2)
            .withLoggingEnabled(false);
    // The pipe's meters and shutdown state are made here, outside the supervisor, so that a
    // restart keeps them.
    Behavior<PipeActor.Command> behavior =
        PipeActor.create(settings, pipe, events, metrics.pipe(pipe), shutdown);
    return Behaviors.supervise(behavior).onFailure(restart);
  }

  private static void joinShutdown(
      ActorSystem<?> system,
      SpipedSettings settings,
      PipeSettings pipe,
      ActorRef<PipeActor.Command> actor,
      PipeShutdown shutdown) {
    CoordinatedShutdown coordinated = CoordinatedShutdown.get(system);
    coordinated.addTask(
        CoordinatedShutdown.PhaseServiceUnbind(),
        "stop-accepting-" + pipe.name(),
        () -> {
          // Set first, so that a pipe waiting out a restart's backoff does not bind again.
          shutdown.beginStopping();
          // A pipe that is not bound has nothing to unbind, and may be waiting out a restart's
          // backoff, when it would read no message before the ask timed out.
          if (!shutdown.bound()) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          return AskPattern.ask(
              actor, PipeActor.StopAccepting::new, UNBIND_TIMEOUT, system.scheduler());
        });
    coordinated.addTask(
        CoordinatedShutdown.PhaseServiceRequestsDone(),
        "drain-" + pipe.name(),
        () -> shutdown.drain(allowedToDrain(coordinated, settings)));
  }

  /**
   * SIGTERM (or Daemon.shutdown) waits for open connections; ActorSystem.terminate, which is what
   * Daemon.close calls, closes them at once.
   */
  private static Duration allowedToDrain(CoordinatedShutdown coordinated, SpipedSettings settings) {
    boolean terminateCalled =
        coordinated
            .getShutdownReason()
            .filter(reason -> reason == CoordinatedShutdown.actorSystemTerminateReason())
            .isPresent();
    return terminateCalled ? Duration.ZERO : settings.shutdownTimeout();
  }

  private static String actorName(PipeSettings pipe) {
    return "pipe-" + URLEncoder.encode(pipe.name(), StandardCharsets.UTF_8);
  }
}
