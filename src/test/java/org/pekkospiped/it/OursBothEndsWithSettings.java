package org.pekkospiped.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/** Every scenario with both ends ours, both run with the same daemon-wide settings. */
abstract class OursBothEndsWithSettings extends OurDecryptingEndScenarios {

  /** HOCON for both ends, such as a {@code pekko-spiped.stream} setting. */
  protected abstract String daemonSettings();

  @Override
  protected AutoCloseable startEncryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return OurEnd.start("encrypt", source, target, keyFile, flags, daemonSettings());
  }

  @Override
  protected AutoCloseable startDecryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return OurEnd.start("decrypt", source, target, keyFile, flags, daemonSettings());
  }
}
