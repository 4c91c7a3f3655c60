package org.pekkospiped.it;

/**
 * Every scenario with both ends ours on Pekko's TCP instead of the default JDK channels, so the
 * transport an operator can still choose keeps working.
 */
class OursBothEndsOverPekkoTcpTest extends OursBothEndsWithSettings {
  @Override
  protected String daemonSettings() {
    return "pekko-spiped.stream.transport = pekko-tcp";
  }
}
