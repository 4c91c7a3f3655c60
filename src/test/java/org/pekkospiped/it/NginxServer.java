package org.pekkospiped.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real nginx serving generated files over plain HTTP on 127.0.0.1, run in the foreground with
 * everything it writes (config, pid, temp paths, docroot) inside a private temp directory.
 */
public final class NginxServer implements AutoCloseable {

  public static final String NGINX = "/usr/sbin/nginx";

  public static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private static final String READY_PATH = "/fixture-ready";

  private final Path prefix;
  private final InetSocketAddress address;
  private final ExternalProcess process;

  private NginxServer(Path prefix, InetSocketAddress address, ExternalProcess process) {
    this.prefix = prefix;
    this.address = address;
    this.process = process;
  }

  /** Serves each {@code path -> content} (paths like {@code /blob.bin}) until closed. */
  public static NginxServer serving(Map<String, byte[]> files) throws IOException {
    Path prefix = Files.createTempDirectory("nginx-fixture-");
    writeDocroot(prefix.resolve("html"), files);
    InetSocketAddress address = Ports.freeLoopbackAddress();
    Path config = prefix.resolve("nginx.conf");
    Files.writeString(config, config(prefix, address));

    // -e stderr: without it nginx opens /var/log/nginx/error.log before reading the config.
    List<String> command =
        List.of(NGINX, "-p", prefix.toString(), "-c", config.toString(), "-e", "stderr");
    NginxServer nginx =
        new NginxServer(prefix, address, ExternalProcess.start(command, new byte[0]));
    try {
      nginx.awaitAnswering();
    } catch (RuntimeException | IOException e) {
      nginx.close();
      throw new IllegalStateException("nginx did not start: " + nginx.process, e);
    }
    return nginx;
  }

  private static void writeDocroot(Path docroot, Map<String, byte[]> files) throws IOException {
    Files.createDirectories(docroot);
    Files.writeString(docroot.resolve(READY_PATH.substring(1)), "ready\n");
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      Path target = docroot.resolve(file.getKey().replaceFirst("^/+", ""));
      Files.createDirectories(target.getParent());
      Files.write(target, file.getValue());
    }
  }

  // master_process off: the one nginx process serves requests itself. With the usual master and
  // workers, a master started as root runs its workers as "nobody", who cannot enter the 0700
  // temp directory (every request fails with 403); "user root;" would fix that only when the
  // tests run as root. A single process also dies with one kill and leaves no orphan worker
  // holding the port.
  private static String config(Path prefix, InetSocketAddress address) {
    String dir = prefix.toString();
    return String.join(
        "\n",
        "master_process off;",
        "daemon off;",
        "pid " + dir + "/nginx.pid;",
        "error_log stderr warn;",
        "events { worker_connections 64; }",
        "http {",
        "  access_log off;",
        "  default_type application/octet-stream;",
        "  client_body_temp_path " + dir + "/client_body_temp;",
        "  proxy_temp_path " + dir + "/proxy_temp;",
        "  fastcgi_temp_path " + dir + "/fastcgi_temp;",
        "  uwsgi_temp_path " + dir + "/uwsgi_temp;",
        "  scgi_temp_path " + dir + "/scgi_temp;",
        "  server {",
        "    listen " + Ports.spipedSyntax(address) + ";",
        "    root " + dir + "/html;",
        "  }",
        "}",
        "");
  }

  private void awaitAnswering() throws IOException {
    Ports.awaitListening(process.handle(), Ports.spipedSyntax(address), START_TIMEOUT);

    HttpClient http =
        HttpClient.newBuilder()
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(START_TIMEOUT)
            .build();
    HttpRequest ready = HttpRequest.newBuilder(url(READY_PATH)).timeout(START_TIMEOUT).build();
    try {
      HttpResponse<String> response =
          http.send(ready, HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII));
      if (response.statusCode() != 200) {
        throw new IOException("nginx answered " + response.statusCode() + " on " + READY_PATH);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for nginx", e);
    }
  }

  public InetSocketAddress address() {
    return address;
  }

  public int port() {
    return address.getPort();
  }

  /** {@code path} on this server, reached directly (not through a pipe). */
  public URI url(String path) {
    return URI.create("http://" + Ports.spipedSyntax(address) + path);
  }

  /** nginx's error log so far (it logs to stderr, warnings and up). */
  public String stderr() {
    return process.stderr();
  }

  @Override
  public void close() {
    process.close();
    deleteRecursively(prefix);
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  @Override
  public String toString() {
    return process.toString();
  }
}
