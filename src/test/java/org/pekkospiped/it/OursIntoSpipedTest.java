package org.pekkospiped.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/** Every scenario with our encrypting end in front of a real spiped -d. */
class OursIntoSpipedTest extends PipePairScenarios {
  @Override
  protected AutoCloseable startEncryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return OurEnd.start("encrypt", source, target, keyFile, flags);
  }

  @Override
  protected AutoCloseable startDecryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return SpipedProcess.decrypting(source, target, keyFile, flags.toArray(String[]::new));
  }
}
