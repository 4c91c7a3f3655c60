package org.pekkospiped.pipe;

import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.InHandler;
import org.apache.pekko.stream.stage.OutHandler;
import org.apache.pekko.util.ByteString;
import org.pekkospiped.protocol.PacketException;
import org.pekkospiped.protocol.PacketOpener;
import org.pekkospiped.protocol.PacketSealer;
import org.pekkospiped.protocol.SessionKeys;
import org.pekkospiped.protocol.Wire;

/**
 * Seals plaintext into spiped's 1060-byte packets going out and opens them coming in.
 *
 * <pre>
 *              +------------------------------------------+
 *  plaintext   | plaintextIn  -- seal --> packetsOut      | --> handshake layer
 *              |                                          |
 *  plaintext   | plaintextOut <-- open -- packetsIn       | <-- handshake layer
 *              +------------------------------------------+
 * </pre>
 *
 * <p>Whatever plaintext has arrived is sealed at once (a lone small write leaves as one packet);
 * when more is waiting, up to {@code packetsPerWrite} packets are sealed into one buffer so they
 * reach the socket as one write. Coming in, every whole packet of a received chunk is opened
 * into one buffer. Each direction holds at most one chunk, so backpressure passes straight
 * through. Both directions live in one stage so that a bad packet tears down both at once.
 */
final class PacketStage
    extends GraphStage<BidiShape<ByteString, ByteString, ByteString, ByteString>> {
  /** The message of the PacketException for EOF in the middle of a packet. */
  static final String TRUNCATED = "truncated packet";

  private final Inlet<ByteString> plaintextIn = Inlet.create("PacketStage.plaintextIn");
  private final Outlet<ByteString> packetsOut = Outlet.create("PacketStage.packetsOut");
  private final Inlet<ByteString> packetsIn = Inlet.create("PacketStage.packetsIn");
  private final Outlet<ByteString> plaintextOut = Outlet.create("PacketStage.plaintextOut");
  private final BidiShape<ByteString, ByteString, ByteString, ByteString> shape =
      BidiShape.of(plaintextIn, packetsOut, packetsIn, plaintextOut);

  private final Handshake handshake;
  private final int packetsPerWrite;

  /**
   * @param handshake whose keys are complete before the handshake layer passes any packet
   * @param packetsPerWrite the most packets sealed into one outgoing buffer
   */
  PacketStage(Handshake handshake, int packetsPerWrite) {
    this.handshake = handshake;
    this.packetsPerWrite = packetsPerWrite;
  }

  @Override
  public BidiShape<ByteString, ByteString, ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    return Attributes.name("spiped-packets");
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      {
        setHandlers(plaintextIn, packetsOut, new Sealing(this));
        setHandlers(packetsIn, plaintextOut, new Opening(this));
      }
    };
  }

  private SessionKeys keys() {
    SessionKeys keys = handshake.keys().getNow(null);
    if (keys == null) {
      throw new IllegalStateException("a packet passed before the handshake finished");
    }
    return keys;
  }

  /** Outgoing: plaintext chunks become sealed packets. */
  private final class Sealing implements InHandler, OutHandler {
    private final GraphStageLogic logic;
    private PacketSealer sealer;
    private byte[] plaintext;
    private int next;
    private int end;

    Sealing(GraphStageLogic logic) {
      this.logic = logic;
    }

    @Override
    public void onPush() {
      ByteString chunk = logic.grab(plaintextIn);
      plaintext = chunk.toArrayUnsafe();
      next = 0;
      end = plaintext.length;
      pushPackets();
    }

    @Override
    public void onPull() {
      if (next < end) {
        pushPackets();
      } else if (logic.isClosed(plaintextIn)) {
        logic.complete(packetsOut);
      } else {
        logic.pull(plaintextIn);
      }
    }

    @Override
    public void onUpstreamFinish() {
      // EOF half-closes the other side, after whatever plaintext is still waiting.
      if (next >= end) {
        logic.complete(packetsOut);
      }
    }

    /** Seals up to packetsPerWrite packets of the waiting plaintext into one buffer. */
    private void pushPackets() {
      if (sealer == null) {
        sealer = keys().sealer();
      }

      int length = Math.min(end - next, packetsPerWrite * Wire.MAX_PAYLOAD);
      int packets = (length + Wire.MAX_PAYLOAD - 1) / Wire.MAX_PAYLOAD;
      byte[] sealed = new byte[packets * Wire.PACKET_SIZE];
      for (int i = 0; i < packets; i++) {
        int size = Math.min(Wire.MAX_PAYLOAD, end - next);
        sealer.seal(plaintext, next, size, sealed, i * Wire.PACKET_SIZE);
        next += size;
      }

      logic.push(packetsOut, ByteString.fromArrayUnsafe(sealed));
      if (next >= end && logic.isClosed(plaintextIn)) {
        logic.complete(packetsOut);
      }
    }
  }

  /** Incoming: whole packets are opened; a partial one waits for the rest. */
  private final class Opening implements InHandler, OutHandler {
    private final GraphStageLogic logic;
    private PacketOpener opener;
    private ByteString partial = ByteString.emptyByteString();

    Opening(GraphStageLogic logic) {
      this.logic = logic;
    }

    @Override
    public void onPull() {
      logic.pull(packetsIn);
    }

    @Override
    public void onPush() {
      if (opener == null) {
        opener = keys().opener();
      }

      byte[] received = partial.concat(logic.grab(packetsIn)).toArrayUnsafe();
      int packets = received.length / Wire.PACKET_SIZE;
      int whole = packets * Wire.PACKET_SIZE;
      partial = ByteString.fromArrayUnsafe(received, whole, received.length - whole);
      if (packets == 0) {
        logic.pull(packetsIn);
        return;
      }

      byte[] plaintext = new byte[packets * Wire.MAX_PAYLOAD];
      int length = 0;
      try {
        for (int offset = 0; offset < whole; offset += Wire.PACKET_SIZE) {
          length += opener.open(received, offset, plaintext, length);
        }
      } catch (PacketException e) {
        dropConnection(e);
        return;
      }
      logic.push(plaintextOut, ByteString.fromArrayUnsafe(plaintext, 0, length));
    }

    @Override
    public void onUpstreamFinish() {
      // A packet cut short by EOF cannot be authenticated: the connection was tampered with.
      if (!partial.isEmpty()) {
        dropConnection(new PacketException(TRUNCATED));
        return;
      }
      logic.complete(plaintextOut);
    }

    /**
     * Fails the stage rather than throwing: Pekko logs a thrown exception as an error with its
     * stack trace, while a peer's bad packet is reported once, at INFO, by ConnectionEvents.
     */
    private void dropConnection(PacketException reason) {
      logic.failStage(reason);
    }
  }
}
