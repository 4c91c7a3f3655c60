package org.pekkospiped.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A socket address in the forms spiped takes for {@code -s} and {@code -t}:
 *
 * <ul>
 *   <li>{@code /absolute/path/to/unix/socket}
 *   <li>{@code host.name:port}, resolved through DNS
 *   <li>{@code [ip.v4.ad.dr]:port}
 *   <li>{@code [ipv6::addr]:port}
 * </ul>
 *
 * <p>Parsing never touches the network: a host name is only checked for its spelling, and an
 * address in brackets must be a numeric IPv4 or IPv6 address. Ports are numeric (spiped would also
 * look up a service name such as {@code http}; the JDK has no such lookup).
 */
public sealed interface Endpoint permits Endpoint.Tcp, Endpoint.Unix {

  /**
   * Parses {@code spec} in one of the forms above.
   *
   * @throws IllegalArgumentException whose message says what is wrong with {@code spec}
   */
  static Endpoint parse(String spec) {
    if (spec == null || spec.isEmpty()) {
      throw new IllegalArgumentException(
          "empty address (expected /unix/socket, host:port, [v4]:port or [v6]:port)");
    }
    if (spec.startsWith("/")) {
      return Unix.parse(spec);
    }
    if (spec.startsWith("[")) {
      return Tcp.parseBracketed(spec);
    }
    return Tcp.parseHostPort(spec);
  }

  /**
   * Parses an outgoing bind address as spiped's {@code -b} takes it: an address whose port may be
   * left out, in which case it is 0 (any free port). {@code 10.0.0.1}, {@code [::1]} and a bare
   * {@code ::1} (two or more colons mean IPv6) are all accepted, as are the {@link #parse} forms
   * {@code host:port} and {@code [addr]:port}. A Unix socket path is refused: an outgoing TCP
   * connection cannot be bound to one.
   *
   * @throws IllegalArgumentException whose message says what is wrong with {@code spec}
   */
  static Tcp parseBindAddress(String spec) {
    if (spec == null || spec.isEmpty()) {
      throw new IllegalArgumentException("empty bind address");
    }
    if (spec.startsWith("/")) {
      throw new IllegalArgumentException(
          "'"
              + spec
              + "' is a Unix socket path; a bind address must be an IP address or host name");
    }
    return (Tcp) parse(withDefaultPort(spec));
  }

  /** Adds ":0" where spiped's -b would: no colon, a bare IPv6 address, or "[v6]" alone. */
  private static String withDefaultPort(String spec) {
    int firstColon = spec.indexOf(':');
    int lastColon = spec.lastIndexOf(':');
    if (firstColon < 0) {
      return spec + ":0";
    }
    if (firstColon != lastColon && !spec.contains("]")) {
      return "[" + spec + "]:0";
    }
    if (firstColon != lastColon && spec.endsWith("]")) {
      return spec + ":0";
    }
    return spec;
  }

  /**
   * A TCP address.
   *
   * @param host a host name, or the numeric address when {@code literal}
   * @param port 0 to 65535; 0 asks the system for a free port when listening
   * @param literal written as {@code [address]:port}: a numeric address, never resolved through DNS
   *     (so re-resolution does not apply to it)
   */
  record Tcp(String host, int port, boolean literal) implements Endpoint {
    /** Letters, digits, dots, hyphens and underscores: what a DNS name or dotted IPv4 holds. */
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private static final Pattern IPV4 =
        Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
                + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    public Tcp {
      if (host == null || host.isEmpty()) {
        throw new IllegalArgumentException("empty host");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is out of range 0-65535");
      }
    }

    /**
     * Renders the address as spiped would take it back: {@code host:port} or {@code [addr]:port}.
     */
    @Override
    public String toString() {
      return literal ? "[" + host + "]:" + port : host + ":" + port;
    }

    private static Tcp parseBracketed(String spec) {
      int close = spec.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException(
            "'" + spec + "' has no closing ']' (expected [address]:port)");
      }
      if (close + 1 >= spec.length() || spec.charAt(close + 1) != ':') {
        throw new IllegalArgumentException(
            "'" + spec + "' has no ':port' after ']' (expected [address]:port)");
      }

      String address = spec.substring(1, close);
      checkNumericAddress(spec, address);
      return new Tcp(address, parsePort(spec, spec.substring(close + 2)), true);
    }

    private static Tcp parseHostPort(String spec) {
      int colon = spec.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            "'" + spec + "' is neither an absolute Unix socket path nor host:port");
      }

      String host = spec.substring(0, colon);
      if (host.isEmpty()) {
        throw new IllegalArgumentException("'" + spec + "' has no host before ':port'");
      }
      if (host.contains(":")) {
        throw new IllegalArgumentException(
            "'" + spec + "': write an IPv6 address in brackets, as [address]:port");
      }
      if (!HOST_NAME.matcher(host).matches()) {
        throw new IllegalArgumentException("'" + spec + "': '" + host + "' is not a host name");
      }
      return new Tcp(host, parsePort(spec, spec.substring(colon + 1)), false);
    }

    /** Accepts a dotted-quad IPv4 or an IPv6 address; neither form ever triggers a DNS query. */
    private static void checkNumericAddress(String spec, String address) {
      if (address.isEmpty()) {
        throw new IllegalArgumentException("'" + spec + "' has an empty address in brackets");
      }
      if (IPV4.matcher(address).matches()) {
        return;
      }
      // In brackets the JDK parses the text as an IPv6 literal and never asks DNS.
      if (address.contains(":")) {
        try {
          InetAddress.getByName("[" + address + "]");
          return;
        } catch (UnknownHostException e) {
          // Reported below, in the same words as any other bad address.
        }
      }
      throw new IllegalArgumentException(
          "'" + spec + "': '" + address + "' is not an IPv4 or IPv6 address");
    }

    private static int parsePort(String spec, String port) {
      if (port.isEmpty()) {
        throw new IllegalArgumentException("'" + spec + "' has no port after ':'");
      }
      if (!PORT.matcher(port).matches()) {
        throw new IllegalArgumentException(
            "'" + spec + "': port '" + port + "' is not a number from 0 to 65535");
      }

      int number = Integer.parseInt(port);
      if (number > 65535) {
        throw new IllegalArgumentException(
            "'" + spec + "': port " + number + " is out of range 0-65535");
      }
      return number;
    }
  }

  /**
   * A Unix domain socket.
   *
   * @param path an absolute path
   */
  record Unix(Path path) implements Endpoint {
    /** Linux's sun_path holds 108 bytes, the last of them the terminating NUL. */
    private static final int MAX_PATH_BYTES = 107;

    public Unix {
      if (path == null || !path.isAbsolute()) {
        throw new IllegalArgumentException("a Unix socket path must be absolute: " + path);
      }
    }

    @Override
    public String toString() {
      return path.toString();
    }

    private static Unix parse(String spec) {
      if (spec.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
        throw new IllegalArgumentException(
            "'"
                + spec
                + "' is longer than "
                + MAX_PATH_BYTES
                + " bytes, the limit for a Unix socket path");
      }
      try {
        return new Unix(Path.of(spec));
      } catch (InvalidPathException e) {
        throw new IllegalArgumentException("'" + spec + "' is not a valid path: " + e.getReason());
      }
    }
  }
}
