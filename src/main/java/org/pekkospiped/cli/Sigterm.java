package org.pekkospiped.cli;

import sun.misc.Signal;

/**
 * SIGTERM as spiped treats it: a request to stop gracefully, after which the process exits 0.
 *
 * <p>Left to the JVM, SIGTERM starts the JVM's own shutdown. Pekko's shutdown hook then stops
 * the daemon just as gracefully, but the JVM always exits 143 (128 + 15) that way: no code can
 * choose the status once the JVM is shutting down. Handling the signal ourselves lets the daemon
 * stop first and {@code main} return 0. {@code sun.misc.Signal} is in module jdk.unsupported,
 * which the JDK keeps available on purpose (JEP 260) for lack of a public equivalent.
 */
final class Sigterm {
  private Sigterm() {}

  /** Runs stop, on a thread of the JVM's, each time the process gets SIGTERM. */
  static void onSignal(Runnable stop) {
    try {
      Signal.handle(new Signal("TERM"), signal -> stop.run());
    } catch (IllegalArgumentException e) {
      // The JVM keeps the signal for itself (java -Xrs): its shutdown hook still stops the
      // daemon gracefully, only with status 143.
    }
  }
}
