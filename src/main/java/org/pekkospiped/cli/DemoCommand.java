package org.pekkospiped.cli;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pekkospiped.config.Endpoint;
import org.pekkospiped.config.Mode;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SpipedSettings;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code pekko-spiped demo}: a copy of the repository's application.conf, built into the jar, with
 * a fresh key and a small web server behind it, so that a new user can curl through a pipe pair
 * at once.
 */
@Command(
    name = "demo",
    description = {
      "Run the demo pipe pair from the built-in application.conf with a new key, and a small"
          + " web server at its target, to go through both pipes with:%n"
          + "curl http://127.0.0.1:8025/"
    })
final class DemoCommand implements Callable<Integer> {
  /** The repository's application.conf, copied here by the build (see pom.xml). */
  private static final String DEMO_CONFIG = "demo/application.conf";

  @ParentCommand Main main;

  @Option(names = "--help", usageHelp = true, description = "Print this help and exit.")
  boolean helpRequested;

  @Override
  public Integer call() throws IOException {
    Path key = newKey();
    try {
      SpipedSettings settings = SpipedSettings.load(ConfigFactory.load(demoConfig(key)));
      HttpServer web = startWebServer(settings);
      try {
        return main.run(settings, DemoCommand::printHint);
      } finally {
        web.stop(0);
      }
    } finally {
      Files.deleteIfExists(key);
      Files.deleteIfExists(key.getParent());
    }
  }

  /**
   * Logged, not printed: the pipes' "listening" lines go through Logback's queue, and a line
   * printed straight to stderr could overtake them.
   */
  private static void printHint() {
    LoggerFactory.getLogger(DemoCommand.class)
        .info("demo: ready; try   curl http://127.0.0.1:8025/   (Ctrl-C stops the demo)");
  }

  /**
   * A key of its own for every run, in a directory of its own, both deleted when the demo exits.
   * Ctrl-C ends the JVM without returning from {@link #call}, so deleteOnExit covers that; it
   * deletes in the reverse order of registration, so the directory is registered first.
   */
  private static Path newKey() throws IOException {
    Path directory = Files.createTempDirectory("pekko-spiped-demo");
    directory.toFile().deleteOnExit();
    Path key = directory.resolve("demo.key");
    key.toFile().deleteOnExit();
    KeygenCommand.createKeyFile(key);
    return key;
  }

  private static Config demoConfig(Path key) {
    Config demo = ConfigFactory.parseResources(DEMO_CONFIG);
    for (String pipe : demo.getObject("pekko-spiped.pipes").keySet()) {
      String setting = "pekko-spiped.pipes.\"" + pipe + "\".key-file";
      demo = demo.withValue(setting, ConfigValueFactory.fromAnyRef(key.toString()));
    }
    return demo;
  }

  /** Serves one short page at the decrypting pipe's target. */
  private static HttpServer startWebServer(SpipedSettings settings) throws IOException {
    Endpoint.Tcp target =
        settings.pipes().stream()
            .filter(pipe -> pipe.mode() == Mode.DECRYPT)
            .map(PipeSettings::target)
            .map(Endpoint.Tcp.class::cast)
            .findFirst()
            .orElseThrow();
    byte[] page =
        "Hello from the web server behind pekko-spiped's demo pipe pair.\n"
            .getBytes(StandardCharsets.UTF_8);

    HttpServer web;
    try {
      web = HttpServer.create(new InetSocketAddress(target.host(), target.port()), 0);
    } catch (IOException e) {
      // Most often a port already taken (say, by the web server application.conf's header
      // suggests): one line that names it, as for a pipe's own source.
      throw new UsageException(
          "the demo's web server cannot listen on " + target + ": " + e.getMessage());
    }
    web.createContext(
        "/",
        exchange -> {
          // Closed after each page: a browser's idle keep-alive would otherwise hold the pipes'
          // connection open, and Ctrl-C would wait out shutdown-timeout for it.
          exchange.getResponseHeaders().set("Connection", "close");
          exchange.sendResponseHeaders(200, page.length);
          try (OutputStream body = exchange.getResponseBody()) {
            body.write(page);
          }
        });
    web.start();
    return web;
  }
}
