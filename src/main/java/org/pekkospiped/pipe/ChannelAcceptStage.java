package org.pekkospiped.pipe;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.OutHandler;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.pekkospiped.config.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on a TCP address or a Unix domain socket and emits each accepted connection, in
 * non-blocking mode.
 *
 * <p>A connection is accepted only when the stage is pulled, so a consumer that stops pulling
 * (at the connection limit) leaves the rest in the listen backlog. The stage binds when it
 * starts; its materialized value completes once it is listening, or fails if it cannot bind.
 * A Unix socket replaces a stale socket file first (see {@link UnixSocketFile}), and its file
 * is removed when the stage stops, or as soon as {@link Sockets.Listening#unbind()} is called,
 * so that a pipe restarting right after can bind the same path at once.
 */
final class ChannelAcceptStage
    extends AbstractGraphStageWithMaterializedValue<
        SourceShape<SocketChannel>, CompletionStage<Sockets.Listening>> {
  private static final Logger log = LoggerFactory.getLogger(ChannelAcceptStage.class);

  /** How long to wait before accepting again when the process is out of file descriptors. */
  private static final long RETRY_MILLIS = 100;

  private static final String RETRY_ACCEPT = "retry-accept";

  private final Outlet<SocketChannel> out = Outlet.create("ChannelAcceptStage.out");
  private final SourceShape<SocketChannel> shape = SourceShape.of(out);

  /** The loop used when the stage does not run on one of its own. */
  private final EventLoop fallback;
  private final Endpoint source;

  /** A TCP source's address, looked up here, on the caller's thread rather than a loop's. */
  private final InetSocketAddress tcpSource;

  private final int backlog;

  ChannelAcceptStage(EventLoop fallback, Endpoint source, int backlog) {
    this.fallback = fallback;
    this.source = source;
    this.tcpSource = source instanceof Endpoint.Tcp tcp ? Sockets.address(tcp) : null;
    this.backlog = backlog;
  }

  @Override
  public SourceShape<SocketChannel> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    return Attributes.name("spiped-accept");
  }

  @Override
  public Pair<GraphStageLogic, CompletionStage<Sockets.Listening>>
      createLogicAndMaterializedValuePair(Attributes attributes) {
    CompletableFuture<Sockets.Listening> bound = new CompletableFuture<>();
    return Pair.create(new Logic(bound), bound);
  }

  private final class Logic extends TimerGraphStageLogic
      implements OutHandler, Sockets.Listening {
    private final CompletableFuture<Sockets.Listening> bound;
    private final AtomicBoolean unbound = new AtomicBoolean();
    private AsyncCallback<Done> finish;
    private ServerSocketChannel server;
    private String address;
    private UnixSocketFile socketFile;
    private EventLoop loop;
    private SelectionKey key;
    private boolean outOfDescriptors;

    Logic(CompletableFuture<Sockets.Listening> bound) {
      super(shape);
      this.bound = bound;
      setHandler(out, this);
    }

    @Override
    public void preStart() {
      // Started on a loop's thread, the stage watches its socket from there: no hand-over.
      loop = EventLoop.currentOr(fallback);
      finish = createAsyncCallback(done -> completeStage());
      AsyncCallback<Integer> ready = createAsyncCallback(operations -> onReady());
      try {
        if (source instanceof Endpoint.Unix unix) {
          bindUnix(unix.path());
        } else {
          bindTcp();
        }
        server.configureBlocking(false);
        key = loop.register(server, ready::invoke);
      } catch (IOException e) {
        bound.completeExceptionally(e);
        failStage(e);
        return;
      }
      bound.complete(this);
    }

    private void bindUnix(Path path) throws IOException {
      UnixSocketFile.clearStale(path);
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(path), backlog);
      socketFile = UnixSocketFile.bound(path);
      address = path.toString();
    }

    /** SO_REUSEADDR, as spiped sets it, so a restart need not wait out TIME_WAIT. */
    private void bindTcp() throws IOException {
      InetSocketAddress local = tcpSource;
      if (local.isUnresolved()) {
        throw new IOException("cannot resolve " + local.getHostString());
      }
      // A socket of the address's own family, so [0.0.0.0]:port is not shown as [::]:port.
      server =
          ServerSocketChannel.open(
              local.getAddress() instanceof Inet6Address
                  ? StandardProtocolFamily.INET6
                  : StandardProtocolFamily.INET);
      try {
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(local, backlog);
      } catch (IOException e) {
        server.close();
        throw e;
      }
      address = Sockets.describe((InetSocketAddress) server.getLocalAddress());
    }

    @Override
    public void postStop() {
      bound.completeExceptionally(new IOException("stopped before binding " + source));
      close();
    }

    @Override
    public void onPull() {
      accept();
    }

    private void onReady() {
      if (isAvailable(out)) {
        accept();
      }
    }

    /** Takes one connection from the backlog, or waits for one to arrive. */
    private void accept() {
      try {
        SocketChannel connection = server.accept();
        if (connection == null) {
          loop.await(key, SelectionKey.OP_ACCEPT);
          return;
        }
        connection.configureBlocking(false);
        outOfDescriptors = false;
        push(out, connection);
      } catch (IOException e) {
        onAcceptFailed(e);
      }
    }

    private void onAcceptFailed(IOException e) {
      // Once unbound, the channel is closed under us: that ends the source, it is no failure.
      if (unbound.get()) {
        completeStage();
        return;
      }

      // Out of file descriptors, the connection stays in the backlog: closing the listening
      // socket and binding again would drop the whole backlog, and refuse clients meanwhile.
      if (String.valueOf(e.getMessage()).contains("Too many open files")) {
        if (!outOfDescriptors) {
          log.warn(
              "{}: out of file descriptors; accepting again every {} ms", address, RETRY_MILLIS);
          outOfDescriptors = true;
        }
        scheduleOnce(RETRY_ACCEPT, Duration.ofMillis(RETRY_MILLIS));
        return;
      }
      failStage(e);
    }

    /** The retry after running out of file descriptors: as if the socket were ready. */
    @Override
    public void onTimer(Object timerKey) {
      onReady();
    }

    @Override
    public String address() {
      return address;
    }

    /** Thread-safe: closes and removes the socket now, then completes the source. */
    @Override
    public CompletionStage<Done> unbind() {
      CompletionStage<Done> closed = close();
      finish.invoke(Done.getInstance());
      return closed;
    }

    /** Completes once the listening socket is closed, so that connecting is refused. */
    private CompletionStage<Done> close() {
      if (server == null || !unbound.compareAndSet(false, true)) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      CompletionStage<Done> closed = loop.closeNow(server);
      if (socketFile != null) {
        socketFile.remove();
      }
      return closed;
    }
  }
}
