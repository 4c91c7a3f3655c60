package org.pekkospiped.it;

/**
 * Every scenario with both ends ours running their connections on event loops
 * (stream.event-loops on), the lower-latency placement an operator can choose.
 */
class OursBothEndsOnEventLoopsTest extends OursBothEndsWithSettings {
  @Override
  protected String daemonSettings() {
    return "pekko-spiped.stream.event-loops = on";
  }
}
