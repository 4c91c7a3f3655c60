package org.pekkospiped.pipe;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.metrics.Metrics;

/**
 * The root of the actor system: one supervised actor per configured pipe.
 *
 * <p>A pipe that fails (its source cannot be bound, its target cannot be resolved) is restarted
 * with exponential backoff, on its own: the other pipes and every open connection go on.
 */
final class Guardian {
  private Guardian() {}

  static Behavior<Void> create(
      SpipedSettings settings, PipeActor.Events events, Metrics metrics) {
    return Behaviors.setup(
        context -> {
          for (PipeSettings pipe : settings.pipes()) {
            context.spawn(supervised(settings, pipe, events, metrics), actorName(pipe));
          }
          return Behaviors.empty();
        });
  }

  private static Behavior<PipeActor.Command> supervised(
      SpipedSettings settings, PipeSettings pipe, PipeActor.Events events, Metrics metrics) {
    // The pipe logs its own failure in one line; the supervisor's stack trace adds nothing.
    SupervisorStrategy restart =
        SupervisorStrategy.restartWithBackoff(
                settings.restartMinBackoff(), settings.restartMaxBackoff(), 0.2)
            .withLoggingEnabled(false);
    // The pipe's meters are made here, outside the supervisor, so that a restart keeps them.
    Behavior<PipeActor.Command> behavior =
        PipeActor.create(settings, pipe, events, metrics.pipe(pipe));
    return Behaviors.supervise(behavior).onFailure(restart);
  }

  private static String actorName(PipeSettings pipe) {
    return "pipe-" + URLEncoder.encode(pipe.name(), StandardCharsets.UTF_8);
  }
}
