package org.pekkospiped.pipe;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * Lets through at most one log line per key in each interval, and counts the lines it holds
 * back so the next line let through can say how many there were. A peer that opens a thousand
 * bad connections a second must not turn the log into a thousand lines a second.
 */
final class LogThrottle {
  /** What {@link #admit} returns for a line to hold back. */
  static final long HOLD_BACK = -1;

  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();

  /** @param interval 0 lets every line through */
  LogThrottle(Duration interval) {
    this(interval, System::nanoTime);
  }

  LogThrottle(Duration interval, LongSupplier nanoClock) {
    this.intervalNanos = interval.toNanos();
    this.nanoClock = nanoClock;
  }

  /**
   * Decides about one line for key: {@link #HOLD_BACK}, or the number of lines held back since
   * the last one let through (0 or more), to be logged now.
   */
  long admit(String key) {
    if (intervalNanos == 0) {
      return 0;
    }
    return windows.computeIfAbsent(key, ignored -> new Window()).admit(nanoClock.getAsLong());
  }

  private final class Window {
    private boolean started;
    private long lastLetThrough;
    private long heldBack;

    synchronized long admit(long now) {
      if (started && now - lastLetThrough < intervalNanos) {
        heldBack++;
        return HOLD_BACK;
      }
      started = true;
      lastLetThrough = now;
      long count = heldBack;
      heldBack = 0;
      return count;
    }
  }
}
