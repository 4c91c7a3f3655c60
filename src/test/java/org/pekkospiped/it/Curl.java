package org.pekkospiped.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The real {@code /usr/bin/curl}: an HTTP client that is not ours and not the JDK's. */
public final class Curl {

  public static final String CURL = "/usr/bin/curl";

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

  private Curl() {}

  /** GETs {@code path} from a plain HTTP server at {@code address} and returns the body. */
  public static byte[] fetch(InetSocketAddress address, String path) throws IOException {
    return fetch("http://" + Ports.spipedSyntax(address) + path, DEFAULT_TIMEOUT);
  }

  /** GETs {@code url} and returns the body; fails on any HTTP error status or transfer error. */
  public static byte[] fetch(String url) throws IOException {
    return fetch(url, DEFAULT_TIMEOUT);
  }

  /** As {@link #fetch(String)}, with curl giving up after {@code timeout}. */
  public static byte[] fetch(String url, Duration timeout) throws IOException {
    // --noproxy: a CI environment may set http_proxy, and loopback must never go through it.
    List<String> command =
        List.of(
            CURL,
            "-sS",
            "--fail",
            "--noproxy",
            "*",
            "--max-time",
            Long.toString(Math.max(1, timeout.toSeconds())),
            url);

    try (ExternalProcess curl = ExternalProcess.start(command, new byte[0])) {
      Optional<Integer> exitCode = curl.awaitExit(timeout.plusSeconds(5));
      if (exitCode.isEmpty() || exitCode.get() != 0) {
        throw new IOException("curl failed: " + curl);
      }
      return curl.stdout(timeout);
    }
  }
}
