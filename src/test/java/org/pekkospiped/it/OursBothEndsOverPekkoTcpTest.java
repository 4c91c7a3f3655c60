package org.pekkospiped.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Every scenario with both ends ours on Pekko's TCP instead of the default JDK channels, so the
 * transport an operator can still choose keeps working.
 */
class OursBothEndsOverPekkoTcpTest extends OurDecryptingEndScenarios {
  private static final String PEKKO_TCP = "pekko-spiped.stream.transport = pekko-tcp";

  @Override
  protected AutoCloseable startEncryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return OurEnd.start("encrypt", source, target, keyFile, flags, PEKKO_TCP);
  }

  @Override
  protected AutoCloseable startDecryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return OurEnd.start("decrypt", source, target, keyFile, flags, PEKKO_TCP);
  }
}
