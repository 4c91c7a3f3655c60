package org.pekkospiped.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Every scenario with both ends ours running their connections on event loops (stream.event-loops
 * on), the lower-latency placement an operator can choose.
 */
class OursBothEndsOnEventLoopsTest extends OurDecryptingEndScenarios {
  private static final String EVENT_LOOPS = "pekko-spiped.stream.event-loops = on";

  @Override
  protected AutoCloseable startEncryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return OurEnd.start("encrypt", source, target, keyFile, flags, EVENT_LOOPS);
  }

  @Override
  protected AutoCloseable startDecryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return OurEnd.start("decrypt", source, target, keyFile, flags, EVENT_LOOPS);
  }
}
