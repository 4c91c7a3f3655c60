package org.pekkospiped.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The scenarios, plus what our decrypting end does beyond spiped: it reaches its target only
 * after the peer has proven the key.
 */
abstract class OurDecryptingEndScenarios extends PipePairScenarios {

  @Override
  protected AutoCloseable startDecryptingEnd(
      InetSocketAddress source, InetSocketAddress target, Path keyFile, List<String> flags)
      throws Exception {
    return OurEnd.start("decrypt", source, target, keyFile, flags);
  }

  // Goal: a peer with the wrong key never causes a connection to the target.
  @Test
  void wrongKey_targetNeverSeesAConnection() throws Exception {
    EchoServer echo = use(EchoServer.start());
    Path otherKey = KeyFiles.random(tempDir, 99);
    PipePair pipe = openPipe(echo.address(), otherKey, List.of(), key(), List.of());

    PlainClient.Received received =
        PlainClient.exchangeUntilClosed(pipe.entry(), "secret".getBytes(), TIMEOUT);

    assertEquals(0, received.bytes().length);
    assertEquals(0, echo.acceptedConnections());
  }

  // Goal: a client that connects and says nothing never reaches the target (spiped's does).
  @Test
  void silentPeer_targetNeverSeesAConnection() throws Exception {
    EchoServer echo = use(EchoServer.start());
    InetSocketAddress decryptingSource = Ports.freeLoopbackAddress();
    use(startDecryptingEnd(decryptingSource, echo.address(), key(), List.of("-o", "1")));

    try (Socket silent = PlainClient.connect(decryptingSource, TIMEOUT)) {
      PlainClient.readUntilClosed(silent, TIMEOUT);
    }

    assertEquals(0, echo.acceptedConnections());
  }
}
