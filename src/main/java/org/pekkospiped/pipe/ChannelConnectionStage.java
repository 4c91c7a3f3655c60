package org.pekkospiped.pipe;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnsupportedAddressTypeException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.InHandler;
import org.apache.pekko.stream.stage.OutHandler;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * One socket connection (TCP or Unix domain) as a flow: bytes pushed in are written to the
 * socket, bytes read from it come out.
 *
 * <pre>
 *              +--------------------------+
 *  to write -> | in                       | ---> socket
 *              |  ChannelConnectionStage  |
 *  read     <- | out                      | <--- socket
 *              +--------------------------+
 * </pre>
 *
 * <p>Backpressure is kept both ways: the socket is read only when out is pulled, at most one
 * chunk of the read size at a time, and in is pulled again only when the last
 * element has been written whole. The channel is non-blocking; when it would block, the stage
 * waits for the {@link EventLoop} to call it back.
 *
 * <p>The two directions close on their own, as spiped's do: EOF on the socket completes out,
 * and completion of in shuts the socket down for output. The channel is closed when both are
 * done, and at once on any error, or when out is cancelled; either tears down both directions.
 * The materialized value completes when the socket is connected, or fails if it cannot be.
 */
final class ChannelConnectionStage
    extends AbstractGraphStageWithMaterializedValue<
        FlowShape<ByteString, ByteString>, CompletionStage<Done>> {
  /**
   * What a read lands in before its bytes are copied into a ByteString of their own size. One
   * per thread rather than one per connection, so that an idle connection holds no buffer.
   */
  private static final ThreadLocal<ByteBuffer> READ_BUFFER = new ThreadLocal<>();

  /**
   * Reads a stage does in a row on pulls alone, while its socket keeps having more, before it
   * waits for the loop to report the socket ready again. A loop runs many connections: without
   * this, one connection that always has data (a download, an upload) would read on and on, and
   * every other socket on its loop would wait for it to stop. Four reads of 64 KiB are well
   * under a millisecond of sealing or opening.
   */
  private static final int READS_PER_TURN = 4;

  /** One step of reading or writing the socket. */
  @FunctionalInterface
  private interface SocketStep {
    void run() throws IOException;
  }

  /** Socket options and a local address, applied to a new channel before it connects. */
  @FunctionalInterface
  interface Setup {
    void apply(SocketChannel channel) throws IOException;
  }

  private final Inlet<ByteString> in = Inlet.create("ChannelConnectionStage.in");
  private final Outlet<ByteString> out = Outlet.create("ChannelConnectionStage.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);

  /** The loop used when the stage does not run on one of its own. */
  private final EventLoop fallback;
  private final SocketChannel accepted;
  private final SocketAddress target;
  private final Setup setup;
  private final Duration connectTimeout;
  private final int readSize;

  private ChannelConnectionStage(
      EventLoop fallback,
      SocketChannel accepted,
      SocketAddress target,
      Setup setup,
      Duration connectTimeout,
      int readSize) {
    this.fallback = fallback;
    this.accepted = accepted;
    this.target = target;
    this.setup = setup;
    this.connectTimeout = connectTimeout;
    this.readSize = readSize;
  }

  /**
   * A connection already accepted, in non-blocking mode; the flow may be run once.
   *
   * @param readSize the most bytes one read takes, and so the largest element coming out
   */
  static ChannelConnectionStage accepted(
      EventLoop fallback, SocketChannel channel, int readSize) {
    return new ChannelConnectionStage(fallback, channel, null, null, null, readSize);
  }

  /**
   * A connection to target, made when the flow runs, that fails unless made within timeout.
   *
   * @param target an InetSocketAddress or a UnixDomainSocketAddress
   * @param setup applied to the new channel before it connects
   */
  static ChannelConnectionStage connect(
      EventLoop fallback,
      SocketAddress target,
      Setup setup,
      Duration timeout,
      int readSize) {
    return new ChannelConnectionStage(fallback, null, target, setup, timeout, readSize);
  }

  /** This thread's read buffer, grown to size if needed, cleared and limited to size. */
  private static ByteBuffer readBuffer(int size) {
    ByteBuffer buffer = READ_BUFFER.get();
    if (buffer == null || buffer.capacity() < size) {
      buffer = ByteBuffer.allocateDirect(size);
      READ_BUFFER.set(buffer);
    }
    buffer.clear().limit(size);
    return buffer;
  }

  private static ProtocolFamily family(SocketAddress address) {
    if (!(address instanceof InetSocketAddress inet)) {
      return StandardProtocolFamily.UNIX;
    }
    return inet.getAddress() instanceof Inet6Address
        ? StandardProtocolFamily.INET6
        : StandardProtocolFamily.INET;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    return Attributes.name("spiped-connection");
  }

  @Override
  public Pair<GraphStageLogic, CompletionStage<Done>> createLogicAndMaterializedValuePair(
      Attributes attributes) {
    CompletableFuture<Done> connected = new CompletableFuture<>();
    return Pair.create(new Logic(connected), connected);
  }

  private final class Logic extends TimerGraphStageLogic implements InHandler, OutHandler {
    private final CompletableFuture<Done> connected;
    private SocketChannel channel;
    private EventLoop loop;
    private SelectionKey key;
    private ByteBuffer writing;
    private int readsThisTurn;
    private boolean writeSideDone;
    private boolean aborted;

    Logic(CompletableFuture<Done> connected) {
      super(shape);
      this.connected = connected;
      setHandlers(in, out, this);
    }

    @Override
    public void preStart() {
      // Started on a loop's thread, the stage watches its socket from there: no hand-over.
      loop = EventLoop.currentOr(fallback);
      AsyncCallback<Integer> ready = createAsyncCallback(this::onReady);
      try {
        channel = accepted != null ? accepted : open();
        channel.configureBlocking(false);
        key = loop.register(channel, ready::invoke);
        if (accepted != null || channel.connect(target)) {
          onConnected();
        } else {
          scheduleOnce("connect-timeout", connectTimeout);
          loop.await(key, SelectionKey.OP_CONNECT);
        }
      } catch (IOException e) {
        fail(e);
      } catch (UnsupportedAddressTypeException e) {
        // The JDK's word for binding an IPv6 address to an IPv4 connection, or back.
        // Without the cause: the connection's log line names the root cause, which has no words.
        fail(new IOException("bind address and target are of different address families"));
      }
    }

    private SocketChannel open() throws IOException {
      SocketChannel opened = SocketChannel.open(family(target));
      try {
        setup.apply(opened);
      } catch (IOException | RuntimeException e) {
        // Unchecked too (an address family mismatch): a channel left open here leaks its socket.
        opened.close();
        throw e;
      }
      return opened;
    }

    @Override
    public void onTimer(Object timerKey) {
      long millis = connectTimeout.toMillis();
      fail(new SocketTimeoutException("connect timed out after " + millis + " ms"));
    }

    @Override
    public void postStop() {
      connected.completeExceptionally(new IOException("stopped before connecting"));
      if (channel != null) {
        closeQuietly();
        loop.wakeup();
      }
    }

    /**
     * A socket error (a reset, a broken pipe) on one side of a connection is passed on as a
     * reset (SO_LINGER 0) on the other: a FIN would read as a clean end, and the peer (say, the
     * other end of the pipe) would half-close and wait instead of tearing its side down too.
     * Anything else (a bad packet, a target that cannot be reached) closes cleanly, so the
     * bytes already accepted still reach the peer.
     */
    private void abortIfReset(Throwable cause) {
      for (Throwable at = cause; at != null; at = at.getCause()) {
        if (at instanceof ConnectException || at instanceof SocketTimeoutException) {
          return;
        }
        if (at instanceof IOException) {
          aborted = true;
          return;
        }
      }
    }

    private void onReady(int operations) {
      readsThisTurn = 0;
      try {
        if ((operations & SelectionKey.OP_CONNECT) != 0 && channel.finishConnect()) {
          cancelTimer("connect-timeout");
          onConnected();
        }
        if ((operations & SelectionKey.OP_READ) != 0 && isAvailable(out)) {
          read();
        }
        if ((operations & SelectionKey.OP_WRITE) != 0 && writing != null) {
          write();
        }
      } catch (IOException e) {
        fail(e);
      }
    }

    /** Reading waits for the first pull; writing starts now, unless in already finished. */
    private void onConnected() throws IOException {
      connected.complete(Done.getInstance());
      if (isAvailable(out)) {
        read();
      }
      pullOrShutDown();
    }

    // The handlers catch the socket's errors themselves: one thrown to Pekko is logged as an
    // ERROR with its stack trace, for every peer that resets, while ConnectionEvents reports
    // each failed connection once, at a level that says who must act.

    @Override
    public void onPull() {
      if (!connected.isDone()) {
        return;
      }

      if (readsThisTurn < READS_PER_TURN) {
        failOnError(this::read);
      } else {
        // The socket may well have more; the loop says so once it has served the others.
        loop.await(key, SelectionKey.OP_READ);
      }
    }

    /** Reads what is there now, one chunk at most, or waits until something is. */
    private void read() throws IOException {
      ByteBuffer buffer = readBuffer(readSize);
      readsThisTurn++;
      int count = channel.read(buffer);
      if (count > 0) {
        buffer.flip();
        push(out, ByteString.fromByteBuffer(buffer));
      } else if (count == 0) {
        loop.await(key, SelectionKey.OP_READ);
      } else {
        complete(out);
        closeIfBothDone();
      }
    }

    @Override
    public void onPush() {
      writing = grab(in).asByteBuffer();
      failOnError(this::write);
    }

    /** Writes as much of the current element as the socket takes; the rest when it can. */
    private void write() throws IOException {
      channel.write(writing);
      if (writing.hasRemaining()) {
        loop.await(key, SelectionKey.OP_WRITE);
        return;
      }

      writing = null;
      pullOrShutDown();
    }

    /** Nothing is being written: ask for more, or send EOF if no more is coming. */
    private void pullOrShutDown() throws IOException {
      if (isClosed(in)) {
        shutDownWriteSide();
      } else {
        pull(in);
      }
    }

    @Override
    public void onUpstreamFinish() {
      // An element still being written goes out first; write() shuts down after it.
      if (connected.isDone() && writing == null) {
        failOnError(this::shutDownWriteSide);
      }
    }

    @Override
    public void onUpstreamFailure(Throwable cause) {
      fail(cause);
    }

    @Override
    public void onDownstreamFinish(Throwable cause) {
      abortIfReset(cause);
      cancelStage(cause);
    }

    /** Sends EOF to the peer, which may go on sending to us. */
    private void shutDownWriteSide() throws IOException {
      channel.shutdownOutput();
      writeSideDone = true;
      closeIfBothDone();
    }

    private void closeIfBothDone() {
      if (writeSideDone && isClosed(out)) {
        completeStage();
      }
    }

    private void failOnError(SocketStep step) {
      try {
        step.run();
      } catch (IOException e) {
        fail(e);
      }
    }

    private void fail(Throwable cause) {
      abortIfReset(cause);
      connected.completeExceptionally(cause);
      failStage(cause);
    }

    private void closeQuietly() {
      try {
        // Unix sockets have no SO_LINGER; their peer sees EOF either way.
        if (aborted
            && channel.isOpen()
            && channel.supportedOptions().contains(StandardSocketOptions.SO_LINGER)) {
          channel.setOption(StandardSocketOptions.SO_LINGER, 0);
        }
        channel.close();
      } catch (IOException e) {
        // Nothing is left to tell about a socket we are done with.
      }
    }
  }
}
