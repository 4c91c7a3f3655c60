package org.pekkospiped.pipe;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.io.Inet;
import org.apache.pekko.io.TcpSO;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.pekkospiped.config.Endpoint;
import org.pekkospiped.config.PipeSettings;

/**
 * The sockets at both ends of a pipe, as streams of bytes with backpressure.
 *
 * <p>Both kinds are half-close capable: EOF on one direction leaves the other flowing, which is
 * what spiped does and what request/response clients that shut down their sending side need.
 * TCP endpoints use Pekko's TCP; Unix domain sockets use the JDK's channels, through {@link
 * UnixAcceptStage} and {@link UnixConnectionStage}, with the same backpressure.
 */
final class Sockets {
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
      ActorSystem<?> system, PipeSettings pipe) {
    if (pipe.source() instanceof Endpoint.Unix source) {
      return listenUnix(system, source);
    }

    Endpoint.Tcp source = (Endpoint.Tcp) pipe.source();
    return Tcp.get(system)
        .bind(source.host(), source.port(), BACKLOG, options(pipe), true, Optional.empty())
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

  /** An accepted Unix connection has no remote address: its peer is told by the path. */
  private static Source<Accepted, CompletionStage<Listening>> listenUnix(
      ActorSystem<?> system, Endpoint.Unix source) {
    UnixSelector selector = UnixSelector.get(system);
    String peer = source.path().toString();
    return Source.fromGraph(new UnixAcceptStage(selector, source.path(), BACKLOG))
        .map(
            channel ->
                new Accepted(
                    peer,
                    Flow.fromGraph(UnixConnectionStage.accepted(selector, channel))
                        .mapMaterializedValue(connected -> NotUsed.getInstance())));
  }

  /**
   * Connects to target within the pipe's timeout; the stream fails if that cannot be done.
   *
   * @param target an {@link InetSocketAddress} for a TCP target, a {@link
   *     UnixDomainSocketAddress} for a Unix one
   */
  static Flow<ByteString, ByteString, CompletionStage<Done>> connect(
      ActorSystem<?> system, PipeSettings pipe, SocketAddress target) {
    Optional<InetSocketAddress> local =
        pipe.bindAddress().map(bind -> (Endpoint.Tcp) bind).map(Sockets::address);
    return connect(system, target, pipe.timeout(), pipe.keepAlive(), local);
  }

  /**
   * As above, for a connection that belongs to no pipe (spipe's).
   *
   * @param local the local address of a TCP connection, empty for any
   */
  static Flow<ByteString, ByteString, CompletionStage<Done>> connect(
      ActorSystem<?> system,
      SocketAddress target,
      Duration timeout,
      boolean keepAlive,
      Optional<InetSocketAddress> local) {
    if (target instanceof UnixDomainSocketAddress unix) {
      return Flow.fromGraph(UnixConnectionStage.connect(UnixSelector.get(system), unix, timeout));
    }
    return Tcp.get(system)
        .outgoingConnection(
            (InetSocketAddress) target,
            local,
            options(keepAlive),
            true,
            Optional.of(timeout),
            Optional.empty())
        .mapMaterializedValue(connected -> connected.thenApply(ignored -> Done.getInstance()));
  }

  static InetSocketAddress address(Endpoint.Tcp endpoint) {
    return new InetSocketAddress(endpoint.host(), endpoint.port());
  }

  /** An address as spiped's forms write it: [127.0.0.1]:8025 or [::1]:8025. */
  static String describe(InetSocketAddress address) {
    return "[" + address.getAddress().getHostAddress() + "]:" + address.getPort();
  }

  /** Both sockets get TCP_NODELAY (packets are written whole) and, unless -j, keep-alives. */
  private static List<Inet.SocketOption> options(PipeSettings pipe) {
    return options(pipe.keepAlive());
  }

  private static List<Inet.SocketOption> options(boolean keepAlive) {
    return List.of(TcpSO.tcpNoDelay(true), TcpSO.keepAlive(keepAlive));
  }
}
