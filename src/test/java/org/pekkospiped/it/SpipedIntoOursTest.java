package org.pekkospiped.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/** Every scenario with a real spiped -e in front of our decrypting end. */
class SpipedIntoOursTest extends OurDecryptingEndScenarios {
  @Override
  protected AutoCloseable startEncryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return SpipedProcess.encrypting(source, target, keyFile, flags.toArray(String[]::new));
  }
}
