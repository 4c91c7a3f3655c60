package org.pekkospiped.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/** Every scenario with both ends ours. */
class OursBothEndsTest extends OurDecryptingEndScenarios {
  @Override
  protected AutoCloseable startEncryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return OurEnd.start("encrypt", source, target, keyFile, flags);
  }
}
