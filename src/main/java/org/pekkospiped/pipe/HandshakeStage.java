package org.pekkospiped.pipe;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SubscriptionWithCancelException;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.InHandler;
import org.apache.pekko.stream.stage.OutHandler;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.pekkospiped.protocol.HandshakeException;
import org.pekkospiped.protocol.HandshakeFailure;
import org.pekkospiped.protocol.SessionKeys;
import org.pekkospiped.protocol.Wire;

/**
 * The spiped handshake (steps 1 to 7 of PROTOCOL.md) as the network-facing layer of a pipe.
 *
 * <pre>
 *            +---------------------------------------+
 *  sealed    | packetsIn  (held until keys) networkOut| --> nonce, y||h, then packets
 *  packets   |                                        |
 *  <-------- | packetsOut (after keys)     networkIn  | <-- nonce, y||h, then packets
 *            +---------------------------------------+
 * </pre>
 *
 * <p>Nothing passes in either direction until the session keys exist, so the packet layer above
 * may read them from {@link Handshake#keys()} on its first element. The stage sees every
 * failure of the connection (both layers and both sockets meet here), so it is also where the
 * connection's end is reported, through {@link Handshake#close(Throwable)}.
 */
final class HandshakeStage
    extends GraphStage<BidiShape<ByteString, ByteString, ByteString, ByteString>> {
  private final Inlet<ByteString> packetsIn = Inlet.create("HandshakeStage.packetsIn");
  private final Outlet<ByteString> networkOut = Outlet.create("HandshakeStage.networkOut");
  private final Inlet<ByteString> networkIn = Inlet.create("HandshakeStage.networkIn");
  private final Outlet<ByteString> packetsOut = Outlet.create("HandshakeStage.packetsOut");
  private final BidiShape<ByteString, ByteString, ByteString, ByteString> shape =
      BidiShape.of(packetsIn, networkOut, networkIn, packetsOut);

  private final Handshake handshake;
  private final boolean client;
  private final Duration timeout;

  HandshakeStage(Handshake handshake, boolean client, Duration timeout) {
    this.handshake = handshake;
    this.client = client;
    this.timeout = timeout;
  }

  @Override
  public BidiShape<ByteString, ByteString, ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    return Attributes.name("spiped-handshake");
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  /** Where the handshake stands; each step waits for the peer or for a computation. */
  private enum Step {
    AWAIT_NONCE,
    AWAIT_DH_MESSAGE,
    DERIVING_KEYS,
    OPEN
  }

  private final class Logic extends TimerGraphStageLogic {
    private Step step = Step.AWAIT_NONCE;
    private ByteString received = ByteString.emptyByteString();
    private boolean dhValueReady;
    private boolean packetsFinished;
    private boolean networkFinished;
    private Throwable failure;

    Logic() {
      super(shape);
      setHandler(packetsIn, new PacketsInHandler());
      setHandler(networkOut, new NetworkOutHandler());
      setHandler(networkIn, new NetworkInHandler());
      setHandler(packetsOut, new PacketsOutHandler());
    }

    @Override
    public void preStart() {
      // Step 1: the nonce goes out at once; the peer's is read as soon as it arrives.
      scheduleOnce("handshake-timeout", timeout);
      emit(networkOut, ByteString.fromArrayUnsafe(handshake.session().localNonce()));
      pull(networkIn);

      // The client's exponentiation needs no input from the peer: overlap it with the network.
      if (client) {
        compute(
            () -> {
              handshake.session().generateDhValue();
              return null;
            },
            ignored -> {
              dhValueReady = true;
              sendClientDhMessage();
            });
      }
    }

    @Override
    public void onTimer(Object key) {
      dropHandshake(new HandshakeException(HandshakeFailure.TIMEOUT));
    }

    @Override
    public void postStop() {
      handshake.close(failure);
    }

    /** Consumes whatever whole handshake messages have arrived. */
    private void advance() throws HandshakeException {
      if (step == Step.AWAIT_NONCE && received.size() >= Wire.NONCE_SIZE) {
        handshake.session().receivePeerNonce(take(Wire.NONCE_SIZE));
        step = Step.AWAIT_DH_MESSAGE;
        if (client) {
          sendClientDhMessage();
        }
      }

      if (step == Step.AWAIT_DH_MESSAGE && received.size() >= Wire.DH_MESSAGE_SIZE) {
        handshake.session().receivePeerDhMessage(take(Wire.DH_MESSAGE_SIZE));
        step = Step.DERIVING_KEYS;
        if (client) {
          deriveKeys();
        } else {
          answerProvenClient();
        }
      }
    }

    /** C3: the client's y || h leaves once both the peer's nonce and our y are known. */
    private void sendClientDhMessage() {
      if (dhValueReady && step == Step.AWAIT_DH_MESSAGE) {
        emit(networkOut, ByteString.fromArrayUnsafe(handshake.session().localDhMessage()));
      }
    }

    /**
     * S4: the client's MAC has verified, so it holds the key. Only now does the server spend an
     * exponentiation on it, and only now may a decrypting pipe reach its target.
     */
    private void answerProvenClient() {
      handshake.peerProven().complete(Done.getInstance());
      compute(
          () -> {
            handshake.session().generateDhValue();
            return handshake.session().localDhMessage();
          },
          message -> {
            emit(networkOut, ByteString.fromArrayUnsafe(message));
            deriveKeys();
          });
    }

    /** Step 6 and 7: the shared value and the four packet keys. */
    private void deriveKeys() {
      if (client) {
        handshake.peerProven().complete(Done.getInstance());
      }
      compute(handshake.session()::finish, this::open);
    }

    /** The handshake is done: packets may flow, starting with any that came with it. */
    private void open(SessionKeys keys) {
      cancelTimer("handshake-timeout");
      handshake.keys().complete(keys);
      step = Step.OPEN;

      if (!received.isEmpty()) {
        emit(packetsOut, received);
        received = ByteString.emptyByteString();
      }
      if (networkFinished) {
        complete(packetsOut);
      } else if (isAvailable(packetsOut) && !hasBeenPulled(networkIn)) {
        pull(networkIn);
      }

      if (packetsFinished) {
        complete(networkOut);
      } else if (isAvailable(networkOut)) {
        pull(packetsIn);
      }
    }

    /**
     * Runs a costly step on the handshake executor and continues on the stage's thread. Without
     * forward secrecy no step is costly, and the two hand-overs would cost more than the step.
     */
    private <T> void compute(Supplier<T> work, Consumer<T> then) {
      if (!handshake.session().exponentiates()) {
        computeHere(work, then);
        return;
      }

      AsyncCallback<T> onDone = createAsyncCallback(then::accept);
      AsyncCallback<Throwable> onFailed = createAsyncCallback(this::dropHandshake);
      CompletableFuture.supplyAsync(work, handshake.computations())
          .whenComplete(
              (value, error) -> {
                if (error == null) {
                  onDone.invoke(value);
                } else {
                  onFailed.invoke(error);
                }
              });
    }

    private <T> void computeHere(Supplier<T> work, Consumer<T> then) {
      T value;
      try {
        value = work.get();
      } catch (RuntimeException e) {
        dropHandshake(e);
        return;
      }
      then.accept(value);
    }

    private byte[] take(int size) {
      byte[] message = received.take(size).toArray();
      received = received.drop(size);
      return message;
    }

    /** A socket going away tears down both directions, as spiped does on any error. */
    private void closeBoth(Throwable cause) {
      if (!(cause instanceof SubscriptionWithCancelException.NonFailureCancellation)) {
        failure = cause;
      }
      cancelStage(cause);
    }

    private void dropHandshake(Throwable reason) {
      failure = reason;
      failStage(reason);
    }

    private final class NetworkInHandler implements InHandler {
      @Override
      public void onPush() throws HandshakeException {
        ByteString chunk = grab(networkIn);
        if (step == Step.OPEN) {
          push(packetsOut, chunk);
          return;
        }

        // Handshake bytes are small and bounded; past them, stop reading until we are open.
        received = received.concat(chunk);
        try {
          advance();
        } catch (HandshakeException e) {
          dropHandshake(e);
          return;
        }
        if (step.compareTo(Step.DERIVING_KEYS) < 0) {
          pull(networkIn);
        }
      }

      @Override
      public void onUpstreamFinish() {
        // The peer may half-close right after its last handshake message (spipe with no input).
        if (step.compareTo(Step.DERIVING_KEYS) < 0) {
          dropHandshake(new HandshakeException(HandshakeFailure.PEER_CLOSED));
        } else if (step == Step.OPEN) {
          complete(packetsOut);
        } else {
          networkFinished = true;
        }
      }

      @Override
      public void onUpstreamFailure(Throwable cause) {
        dropHandshake(cause);
      }
    }

    private final class PacketsOutHandler implements OutHandler {
      @Override
      public void onPull() {
        if (step == Step.OPEN && !isClosed(networkIn) && !hasBeenPulled(networkIn)) {
          pull(networkIn);
        }
      }

      @Override
      public void onDownstreamFinish(Throwable cause) {
        closeBoth(cause);
      }
    }

    private final class PacketsInHandler implements InHandler {
      @Override
      public void onPush() {
        push(networkOut, grab(packetsIn));
      }

      @Override
      public void onUpstreamFinish() {
        // EOF from the local side half-closes the network side, once the handshake is out.
        if (step == Step.OPEN) {
          complete(networkOut);
        } else {
          packetsFinished = true;
        }
      }

      @Override
      public void onUpstreamFailure(Throwable cause) {
        dropHandshake(cause);
      }
    }

    private final class NetworkOutHandler implements OutHandler {
      @Override
      public void onPull() {
        if (step == Step.OPEN && !isClosed(packetsIn)) {
          pull(packetsIn);
        }
      }

      @Override
      public void onDownstreamFinish(Throwable cause) {
        closeBoth(cause);
      }
    }
  }
}
