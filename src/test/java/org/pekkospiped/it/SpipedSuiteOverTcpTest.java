package org.pekkospiped.it;

import java.nio.file.Path;

/** spiped's scenarios with every socket a TCP socket on 127.0.0.1. */
class SpipedSuiteOverTcpTest extends SpipedSuiteScenarios {
  @Override
  protected Transport transport(Path dir) {
    return Transport.tcp();
  }

  // Loopback buffers grow with use (tcp_rmem allows 32 MiB a socket): a stalled chain of three
  // connections held 12 to 15 MB in our runs.
  @Override
  protected int moreThanBuffered() {
    return 64 << 20;
  }
}
