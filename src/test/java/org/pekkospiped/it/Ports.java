package org.pekkospiped.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loopback ports and readiness checks for the processes the end-to-end tests start.
 *
 * <p>Readiness is checked through {@code /proc} where it exists, never by connecting: a probe
 * connection to an encrypting spiped would make it connect on to its target, and a test that counts
 * target connections would then count the probe.
 */
public final class Ports {

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private Ports() {}

  /** Ports already handed out in this JVM: the kernel may offer the same free port twice in a row. */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  /**
   * An ephemeral port that was free on 127.0.0.1 a moment ago (another process may race us), and
   * never one this method returned before.
   */
  public static int freeTcpPort() {
    while (true) {
      try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK)) {
        if (HANDED_OUT.add(probe.getLocalPort())) {
          return probe.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("no free loopback port", e);
      }
    }
  }

  /** {@link #freeTcpPort()} as a socket address on 127.0.0.1. */
  public static InetSocketAddress freeLoopbackAddress() {
    return new InetSocketAddress(LOOPBACK, freeTcpPort());
  }

  /** The address in spiped's {@code -s}/{@code -t} syntax: {@code 1.2.3.4:p} or {@code [::1]:p}. */
  public static String spipedSyntax(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return host.contains(":")
        ? "[" + host + "]:" + address.getPort()
        : host + ":" + address.getPort();
  }

  /**
   * Waits until the process {@code pid} listens on the given spiped-syntax address (TCP port or
   * absolute Unix socket path), or fails once {@code timeout} has passed or the process is gone.
   */
  public static void awaitListening(ProcessHandle process, String address, Duration timeout) {
    boolean listening =
        Poll.until(
            timeout,
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException("process " + process.pid() + " exited");
              }
              return isListening(process.pid(), address);
            });
    if (!listening) {
      throw new IllegalStateException(
          "process " + process.pid() + " not listening on " + address + " after " + timeout);
    }
  }

  /** Whether {@code pid} owns a listening socket on the spiped-syntax address. */
  static boolean isListening(long pid, String address) {
    if (!Files.isReadable(Path.of("/proc/net/tcp"))) {
      return acceptsConnection(address);
    }
    Set<String> inodes = socketInodes(pid);
    if (address.startsWith("/")) {
      return listeningUnixInodes(address).stream().anyMatch(inodes::contains);
    }
    int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    return listeningTcpInodes(port).stream().anyMatch(inodes::contains);
  }

  // Each open socket of a process shows up in /proc/<pid>/fd as a link to "socket:[inode]".
  private static Set<String> socketInodes(long pid) {
    Set<String> inodes = new HashSet<>();
    try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        String link = readLinkOrEmpty(fd);
        if (link.startsWith("socket:[")) {
          inodes.add(link.substring("socket:[".length(), link.length() - 1));
        }
      }
    } catch (IOException e) {
      // The process went away while we listed its descriptors: it owns nothing.
    }
    return inodes;
  }

  private static String readLinkOrEmpty(Path fd) {
    try {
      return Files.readSymbolicLink(fd).toString();
    } catch (IOException e) {
      return "";
    }
  }

  // Columns: sl local_address rem_address st ... inode; state 0A is LISTEN.
  private static Set<String> listeningTcpInodes(int port) {
    String portHex = String.format(Locale.ROOT, ":%04X", port);
    Set<String> inodes = new HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String[] row : procTable(table)) {
        if (row.length > 9 && row[1].endsWith(portHex) && row[3].equals("0A")) {
          inodes.add(row[9]);
        }
      }
    }
    return inodes;
  }

  // Columns: Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 marks a listener.
  private static Set<String> listeningUnixInodes(String path) {
    Set<String> inodes = new HashSet<>();
    for (String[] row : procTable("/proc/net/unix")) {
      if (row.length > 7 && row[7].equals(path) && (Long.parseLong(row[3], 16) & 0x10000) != 0) {
        inodes.add(row[6]);
      }
    }
    return inodes;
  }

  private static List<String[]> procTable(String table) {
    try {
      return Files.readAllLines(Path.of(table)).stream()
          .skip(1)
          .map(line -> line.trim().split("\\s+"))
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  // Fallback where /proc is missing; it does open a connection to whatever listens there.
  private static boolean acceptsConnection(String address) {
    if (address.startsWith("/")) {
      try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(address))) {
        return channel.isConnected();
      } catch (IOException e) {
        return false;
      }
    }
    int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon).replace("[", "").replace("]", "");
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1))), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
