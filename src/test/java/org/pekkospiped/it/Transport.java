package org.pekkospiped.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The kind of socket a scenario runs on: TCP on 127.0.0.1, or Unix domain sockets in a directory.
 * Addresses are strings in spiped's {@code -s}/{@code -t} syntax, so the same string goes on a
 * command line and into {@link #connect} or {@link #listen}.
 */
public abstract class Transport {

  private Transport() {}

  /** TCP on 127.0.0.1, each address a port that was free a moment ago. */
  public static Transport tcp() {
    return new Transport() {
      @Override
      public String freeAddress(String name) {
        return Ports.spipedSyntax(Ports.freeLoopbackAddress());
      }

      @Override
      SocketAddress socketAddress(String address) {
        int colon = address.lastIndexOf(':');
        return new InetSocketAddress(
            address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
      }

      @Override
      public String toString() {
        return "TCP";
      }
    };
  }

  /** Unix domain sockets, each address a path in {@code dir} named for what listens there. */
  public static Transport unix(Path dir) {
    return new Transport() {
      @Override
      public String freeAddress(String name) {
        return dir.resolve(name + ".sock").toAbsolutePath().toString();
      }

      @Override
      SocketAddress socketAddress(String address) {
        return UnixDomainSocketAddress.of(address);
      }

      @Override
      public String toString() {
        return "Unix";
      }
    };
  }

  /**
   * An address nothing listens on yet, for whatever {@code name} stands for; each name once.
   */
  public abstract String freeAddress(String name);

  abstract SocketAddress socketAddress(String address);

  /** A blocking client channel connected to {@code address}. */
  public SocketChannel connect(String address) throws IOException {
    return SocketChannel.open(socketAddress(address));
  }

  /** A blocking listener bound to {@code address}. */
  public ServerSocketChannel listen(String address) throws IOException {
    SocketAddress bindTo = socketAddress(address);
    ServerSocketChannel listener =
        bindTo instanceof UnixDomainSocketAddress
            ? ServerSocketChannel.open(StandardProtocolFamily.UNIX)
            : ServerSocketChannel.open();
    try {
      listener.bind(bindTo, 50);
      return listener;
    } catch (IOException e) {
      listener.close();
      throw e;
    }
  }
}
