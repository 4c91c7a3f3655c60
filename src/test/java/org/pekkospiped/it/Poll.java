package org.pekkospiped.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded polling for conditions that nothing signals (another process binding a port). */
public final class Poll {

  private static final long PAUSE_MILLIS = 10;

  private Poll() {}

  /** Evaluates {@code condition} every 10 ms until it holds (true) or {@code timeout} passes. */
  public static boolean until(Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      pause();
    }
  }

  private static void pause() {
    try {
      // A poll interval, not a wait for an event: the event happens in another process.
      Thread.sleep(PAUSE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while polling", e);
    }
  }
}
