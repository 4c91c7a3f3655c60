package org.pekkospiped.it;

import java.nio.file.Path;

/** spiped's scenarios with every socket a Unix domain socket. */
class SpipedSuiteOverUnixTest extends SpipedSuiteScenarios {
  @Override
  protected Transport transport(Path dir) {
    return Transport.unix(dir);
  }

  // A Unix socket buffers about 200 KiB (net.core.wmem_default): a stalled chain of three
  // connections held under 1 MB in our runs.
  @Override
  protected int moreThanBuffered() {
    return 8 << 20;
  }
}
