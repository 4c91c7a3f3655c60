package org.pekkospiped.pipe;

import java.time.Duration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.util.ByteString;

/**
 * The whole spiped protocol for one connection, as a BidiFlow with plaintext on the left and
 * the network on the right:
 *
 * <pre>
 *   plaintext  +--------------+  sealed   +-----------------+  network
 *  ----------> |              | --------> |                 | ---------->
 *              | PacketStage  |           | HandshakeStage  |
 *  <---------- |              | <-------- |                 | <----------
 *              +--------------+           +-----------------+
 * </pre>
 *
 * <p>The two layers share the connection's {@link Handshake}, so a stack must be built anew for
 * every connection.
 */
final class ProtocolStack {
  private ProtocolStack() {}

  /**
   * @param handshake this connection's handshake
   * @param client true on an encrypting pipe's outgoing side, false on a decrypting pipe
   * @param timeout how long the handshake may take
   * @param packetsPerWrite the most packets sealed into one socket write
   */
  static BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> create(
      Handshake handshake, boolean client, Duration timeout, int packetsPerWrite) {
    BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> packets =
        BidiFlow.fromGraph(new PacketStage(handshake, packetsPerWrite));
    BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> handshaking =
        BidiFlow.fromGraph(new HandshakeStage(handshake, client, timeout));
    return packets.atop(handshaking);
  }
}
