package org.pekkospiped.it;

/**
 * Every scenario with both ends ours running their connections on Pekko's default dispatcher
 * (stream.event-loops off), one hand-over away from the threads that watch the sockets.
 */
class OursBothEndsOnDefaultDispatcherTest extends OursBothEndsWithSettings {
  @Override
  protected String daemonSettings() {
    return "pekko-spiped.stream.event-loops = off";
  }
}
