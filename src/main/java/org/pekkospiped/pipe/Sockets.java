package org.pekkospiped.pipe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.io.Inet;
import org.apache.pekko.io.TcpSO;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.pekkospiped.config.Endpoint;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.StreamSettings;
import org.pekkospiped.config.StreamSettings.Transport;

/**
 * The sockets at both ends of a pipe, as streams of bytes with backpressure.
 *
 * <p>Both kinds are half-close capable: EOF on one direction leaves the other flowing, which is
 * what spiped does and what request/response clients that shut down their sending side need.
 * With the nio transport (the default) every socket is one of the JDK's non-blocking channels,
 * read and written by {@link ChannelAcceptStage} and {@link ChannelConnectionStage}; with
 * pekko-tcp, TCP goes through Pekko's TCP instead. Unix domain sockets always use the channels.
 */
final class Sockets {
  /**
   * Where a pipe's stream graphs run: with {@code stream.event-loops} on, on the event loops
   * that also watch their sockets (see {@link EventLoopGroup}); otherwise on Pekko's default
   * dispatcher, one hand-over away from the socket selector.
   */
  static Attributes placement(StreamSettings stream) {
    return stream.eventLoops()
        ? ActorAttributes.dispatcher("pekko-spiped.connection-dispatcher")
        : Attributes.none();
  }

  /** The listen backlog; connections past the connection limit wait here, as with spiped. */
  private static final int BACKLOG = 100;

  private Sockets() {}

  /** One accepted connection: who it is from, and its bytes. */
  record Accepted(String peer, Flow<ByteString, ByteString, NotUsed> flow) {}

  /** A bound listening socket. */
  interface Listening {
    String address();

    CompletionStage<Done> unbind();
  }

  /** Accepts connections on source; each pull of the source accepts at most one more. */
  static Source<Accepted, CompletionStage<Listening>> listen(
      ActorSystem<?> system, PipeSettings pipe, StreamSettings stream) {
    if (pipe.source() instanceof Endpoint.Tcp source && stream.transport() == Transport.PEKKO_TCP) {
      return listenPekko(system, pipe, stream, source);
    }

    EventLoop selector = EventLoop.get(system);
    return Source.fromGraph(new ChannelAcceptStage(selector, pipe.source(), BACKLOG))
        .map(channel -> accepted(selector, pipe, stream, channel));
  }

  private static Accepted accepted(
      EventLoop selector, PipeSettings pipe, StreamSettings stream, SocketChannel channel) {
    // An accepted Unix connection has no remote address: its peer is told by the path.
    String peer = pipe.source().toString();
    if (pipe.source() instanceof Endpoint.Tcp) {
      try {
        configureTcp(channel, pipe.keepAlive(), stream);
        peer = describe((InetSocketAddress) channel.getRemoteAddress());
      } catch (IOException e) {
        // Reset before we got to it: its stage fails on the first read, and only it ends.
        peer = "a peer that already left";
      }
    }

    Flow<ByteString, ByteString, NotUsed> flow =
        Flow.fromGraph(ChannelConnectionStage.accepted(selector, channel, stream.readSize()))
            .mapMaterializedValue(connected -> NotUsed.getInstance());
    return new Accepted(peer, flow);
  }

  private static Source<Accepted, CompletionStage<Listening>> listenPekko(
      ActorSystem<?> system, PipeSettings pipe, StreamSettings stream, Endpoint.Tcp source) {
    return Tcp.get(system)
        .bind(
            source.host(),
            source.port(),
            BACKLOG,
            options(pipe.keepAlive(), stream),
            true,
            Optional.empty())
        .map(connection -> new Accepted(describe(connection.remoteAddress()), connection.flow()))
        .mapMaterializedValue(
            bound ->
                bound.thenApply(
                    binding ->
                        new Listening() {
                          @Override
                          public String address() {
                            return describe(binding.localAddress());
                          }

                          @Override
                          public CompletionStage<Done> unbind() {
                            return binding.unbind().thenApply(ignored -> Done.getInstance());
                          }
                        }));
  }

  /**
   * Connects to target within timeout; the stream fails if that cannot be done.
   *
   * @param target an {@link InetSocketAddress} for a TCP target, a {@link
   *     UnixDomainSocketAddress} for a Unix one
   * @param local the resolved local address of a TCP connection, empty for any
   */
  static Flow<ByteString, ByteString, CompletionStage<Done>> connect(
      ActorSystem<?> system,
      StreamSettings stream,
      SocketAddress target,
      Duration timeout,
      boolean keepAlive,
      Optional<InetSocketAddress> local) {
    if (target instanceof InetSocketAddress tcp && stream.transport() == Transport.PEKKO_TCP) {
      return Tcp.get(system)
          .outgoingConnection(
              tcp, local, options(keepAlive, stream), true, Optional.of(timeout), Optional.empty())
          .mapMaterializedValue(connected -> connected.thenApply(ignored -> Done.getInstance()));
    }

    ChannelConnectionStage.Setup setup =
        target instanceof InetSocketAddress
            ? channel -> setUpTcp(channel, keepAlive, stream, local)
            : channel -> {};
    return Flow.fromGraph(
        ChannelConnectionStage.connect(
            EventLoop.get(system), target, setup, timeout, stream.readSize()));
  }

  private static void setUpTcp(
      SocketChannel channel,
      boolean keepAlive,
      StreamSettings stream,
      Optional<InetSocketAddress> local)
      throws IOException {
    configureTcp(channel, keepAlive, stream);
    if (local.isPresent()) {
      channel.bind(local.get());
    }
  }

  /** Both sockets get TCP_NODELAY (packets are written whole) and, unless -j, keep-alives. */
  private static void configureTcp(SocketChannel channel, boolean keepAlive, StreamSettings stream)
      throws IOException {
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    channel.setOption(StandardSocketOptions.SO_KEEPALIVE, keepAlive);
    if (stream.sendBufferSize() > 0) {
      channel.setOption(StandardSocketOptions.SO_SNDBUF, stream.sendBufferSize());
    }
    if (stream.receiveBufferSize() > 0) {
      channel.setOption(StandardSocketOptions.SO_RCVBUF, stream.receiveBufferSize());
    }
  }

  static InetSocketAddress address(Endpoint.Tcp endpoint) {
    return new InetSocketAddress(endpoint.host(), endpoint.port());
  }

  /** An address as spiped's forms write it: [127.0.0.1]:8025 or [::1]:8025. */
  static String describe(InetSocketAddress address) {
    return "[" + address.getAddress().getHostAddress() + "]:" + address.getPort();
  }

  /** The same socket options as {@link #configureTcp}, in Pekko's terms. */
  private static List<Inet.SocketOption> options(boolean keepAlive, StreamSettings stream) {
    List<Inet.SocketOption> options = new ArrayList<>();
    options.add(TcpSO.tcpNoDelay(true));
    options.add(TcpSO.keepAlive(keepAlive));
    if (stream.sendBufferSize() > 0) {
      options.add(TcpSO.sendBufferSize(stream.sendBufferSize()));
    }
    if (stream.receiveBufferSize() > 0) {
      options.add(TcpSO.receiveBufferSize(stream.receiveBufferSize()));
    }
    return options;
  }
}
