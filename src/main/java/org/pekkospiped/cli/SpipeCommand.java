package org.pekkospiped.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import org.pekkospiped.config.SpipeOptions;
import org.pekkospiped.pipe.Spipe;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pekko-spiped spipe}: spipe 1.6's command line, a client that carries its own standard
 * input and output over one encrypted connection. Like spiped's flags, these only fill in HOCON (at
 * {@code pekko-spiped.spipe}, over pipe-defaults), read by {@link SpipeOptions#load}.
 */
@Command(
    separator = " ",
    name = "spipe",
    description = "Connect standard input and output to a decrypting spiped at the target.")
final class SpipeCommand implements Callable<Integer> {
  /** The level logback.xml reads; INFO for the daemon. */
  private static final String LOG_LEVEL = "pekko-spiped.log.level";

  @Option(
      names = "-t",
      required = true,
      paramLabel = "<target socket>",
      description = "Connect here: /unix/socket, host:port, [v4]:port or [v6]:port.")
  String target;

  @Option(
      names = "-k",
      required = true,
      paramLabel = "<key file>",
      description = "The shared key file, - for standard input.")
  String keyFile;

  @Option(names = "-f", description = "Skip Diffie-Hellman: no forward secrecy.")
  boolean noForwardSecrecy;

  @Option(names = "-g", description = "Require forward secrecy from the server.")
  boolean requireForwardSecrecy;

  @Option(names = "-j", description = "Turn off TCP keep-alives.")
  boolean noKeepAlive;

  @Option(
      names = "-o",
      paramLabel = "<connection timeout>",
      description = "Seconds for connecting and for the handshake (default 5).")
  String timeout;

  @Spec CommandSpec spec;

  @Option(names = "--help", usageHelp = true, description = "Print this help and exit.")
  boolean helpRequested;

  @Override
  public Integer call() {
    // Standard error is the user's terminal: only warnings, and a line on failure.
    if (System.getProperty(LOG_LEVEL) == null) {
      System.setProperty(LOG_LEVEL, "WARN");
    }
    LoggerFactory.getILoggerFactory();

    Config config = spipeConfig().withFallback(ConfigFactory.load());
    SpipeOptions options = SpipeOptions.load(config);

    // Standard output carries the peer's bytes as they are: no PrintStream, no charset.
    OutputStream stdout = new FileOutputStream(FileDescriptor.out);
    try {
      Spipe.run(options, config, System.in, stdout).toCompletableFuture().join();
      return Main.EXIT_OK;
    } catch (CompletionException e) {
      String reason =
          e.getCause() instanceof Spipe.SpipeFailure failure
              ? failure.getMessage()
              : String.valueOf(e.getCause());
      spec.commandLine().getErr().println(Main.NAME + ": spipe: " + Main.firstLine(reason));
      return Main.EXIT_FAILURE;
    }
  }

  /** The options as spipe would take them, defaults from pipe-defaults. */
  SpipeOptions options() {
    return SpipeOptions.load(spipeConfig().withFallback(ConfigFactory.load()));
  }

  private Config spipeConfig() {
    if (noForwardSecrecy && requireForwardSecrecy) {
      throw new UsageException("-f and -g exclude each other");
    }

    Map<String, Object> spipe = new LinkedHashMap<>();
    spipe.put("target", target);
    spipe.put("key-file", keyFile);
    if (noForwardSecrecy) {
      spipe.put("forward-secrecy", "off");
    }
    if (requireForwardSecrecy) {
      spipe.put("forward-secrecy", "required");
    }
    if (noKeepAlive) {
      spipe.put("keepalive", "off");
    }
    SpipedFlags.seconds("-o", timeout).ifPresent(duration -> spipe.put("timeout", duration));

    return ConfigValueFactory.fromMap(spipe, "spipe command line")
        .toConfig()
        .atPath("pekko-spiped.spipe");
  }
}
