package org.pekkospiped.cli;

import java.util.concurrent.CompletionStage;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.pipe.Daemon;

/** Starts the daemon; tests put a recorder in its place so that no socket is opened. */
@FunctionalInterface
interface DaemonRunner {

  /** The daemon's own: {@link Daemon#start}, stopped gracefully by SIGTERM. */
  DaemonRunner PIPES =
      settings -> {
        Daemon daemon = Daemon.start(settings);
        Sigterm.onSignal(daemon::shutdown);
        return new Running() {
          @Override
          public CompletionStage<?> listening() {
            return daemon.listening();
          }

          @Override
          public CompletionStage<?> terminated() {
            return daemon.terminated();
          }

          @Override
          public void close() {
            daemon.close();
          }
        };
      };

  Running start(SpipedSettings settings);

  /** A started daemon. */
  interface Running extends AutoCloseable {
    /** Completes once every pipe listens. */
    default CompletionStage<?> listening() {
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    /** Completes once the daemon has shut down, for instance after SIGTERM. */
    CompletionStage<?> terminated();

    @Override
    void close();
  }
}
