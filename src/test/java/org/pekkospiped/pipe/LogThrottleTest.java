package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogThrottleTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10), now::get);

  @Test
  void admit_firstLine_letThroughWithNoneHeldBack() {
    assertEquals(0, throttle.admit("bad_mac"));
  }

  @Test
  void admit_repeatsWithinInterval_heldBackThenCountedIntoNextLine() {
    throttle.admit("bad_mac");
    now.addAndGet(Duration.ofSeconds(3).toNanos());
    assertEquals(LogThrottle.HOLD_BACK, throttle.admit("bad_mac"));
    assertEquals(LogThrottle.HOLD_BACK, throttle.admit("bad_mac"));

    now.addAndGet(Duration.ofSeconds(7).toNanos());

    assertEquals(2, throttle.admit("bad_mac"));
    assertEquals(LogThrottle.HOLD_BACK, throttle.admit("bad_mac"));
  }

  @Test
  void admit_otherReason_hasItsOwnInterval() {
    throttle.admit("bad_mac");

    assertEquals(0, throttle.admit("timeout"));
  }

  @Test
  void admit_zeroInterval_everyLineLetThrough() {
    LogThrottle none = new LogThrottle(Duration.ZERO, now::get);

    for (int i = 0; i < 5; i++) {
      assertEquals(0, none.admit("bad_mac"));
    }
  }
}
