package org.pekkospiped.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pekkospiped.config.IoReason;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import org.pekkospiped.config.SettingsException;
import org.pekkospiped.config.SpipedSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code java -jar pekko-spiped.jar}: runs the pipes of a configuration file, or one pipe from
 * spiped's own flags, until the daemon shuts down. SIGTERM shuts it down gracefully (see {@link
 * Sigterm}), after which this returns 0.
 */
@Command(
    name = Main.NAME,
    sortOptions = false,
    separator = " ",
    versionProvider = VersionProvider.class,
    subcommands = {KeygenCommand.class, SpipeCommand.class, DemoCommand.class},
    synopsisHeading = "Usage:%n",
    customSynopsis = {
      "  pekko-spiped [FILE] [-p <pidfile>] [-F] [--syslog]",
      "  pekko-spiped {-e | -d} -s <source socket> -t <target socket> -k <key file>",
      "      [-DFj] [-f | -g] [-n <max # connections>] [-o <connection timeout>]",
      "      [-p <pidfile>] [-r <rtime> | -R] [-b <bind address>] [--syslog]",
      "  pekko-spiped keygen FILE",
      "  pekko-spiped demo",
      "  pekko-spiped spipe -t <target socket> -k <key file> [-f | -g] [-j]",
      "      [-o <connection timeout>]",
      "  pekko-spiped -v | --help",
    },
    description = {
      "",
      "A spiped-compatible secure pipe daemon. Runs every pipe configured in FILE (default"
          + " ./application.conf, or what -Dconfig.file names), or the one pipe that"
          + " spiped's flags describe. System properties (-Dpekko-spiped...) override both;"
          + " reference.conf in the jar documents every setting.",
      ""
    },
    optionListHeading = "%nOptions (spiped 1.6's):%n",
    commandListHeading = "%nCommands:%n",
    footer = {
      "",
      "Exit status: 0 after a clean shutdown, 1 when the daemon fails, 2 on bad input."
    })
public final class Main implements Callable<Integer> {
  static final String NAME = "pekko-spiped";
  static final int EXIT_OK = 0;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;

  /** Logback reads this before it configures itself; --syslog points it at the syslog file. */
  private static final String LOGBACK_CONFIGURATION = "logback.configurationFile";

  @Parameters(
      arity = "0..1",
      paramLabel = "FILE",
      description = "HOCON configuration (default ./application.conf).")
  Path file;

  @Mixin SpipedFlags flags;

  @Option(
      names = {"-v", "--version"},
      versionHelp = true,
      description = "Print the version and exit.")
  boolean versionRequested;

  @Option(names = "--help", usageHelp = true, description = "Print this help and exit.")
  boolean helpRequested;

  private final DaemonRunner runner;
  private final Path defaultFile;

  /** Set once a daemon starts: only then is there logging to flush at exit. */
  private static volatile boolean daemonStarted;

  Main(DaemonRunner runner, Path defaultFile) {
    this.runner = runner;
    this.defaultFile = defaultFile;
  }

  public static void main(String[] args) {
    int status =
        execute(
            args,
            DaemonRunner.PIPES,
            new PrintWriter(System.out, true, StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, StandardCharsets.UTF_8));
    if (daemonStarted) {
      flushLogging();
    }
    System.exit(status);
  }

  /** Runs the command line and returns the exit status; never throws, never exits. */
  static int execute(String[] args, DaemonRunner runner, PrintWriter out, PrintWriter err) {
    return execute(args, runner, Path.of("application.conf"), out, err);
  }

  /** As above, with the file used when none is named (./application.conf in real life). */
  static int execute(
      String[] args, DaemonRunner runner, Path defaultFile, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(new Main(runner, defaultFile));
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setParameterExceptionHandler(
        (e, ignored) -> {
          printError(err, e.getCommandLine(), firstLine(e.getMessage()) + " (see --help)");
          return EXIT_USAGE;
        });
    commandLine.setExecutionExceptionHandler((e, failed, ignored) -> reportFailure(e, failed, err));
    return commandLine.execute(args);
  }

  @Override
  public Integer call() {
    flags.check();
    if (file != null && flags.describesPipe()) {
      throw new UsageException("give a configuration FILE or spiped's flags, not both");
    }
    if (flags.syslog && System.getProperty(LOGBACK_CONFIGURATION) == null) {
      System.setProperty(LOGBACK_CONFIGURATION, "logback-syslog.xml");
    }

    return run(settings());
  }

  /** Runs the daemon until it shuts down, writing the pid file once it has started. */
  int run(SpipedSettings settings) {
    return run(settings, () -> {});
  }

  /** As above, and runs whenListening once every pipe listens. */
  int run(SpipedSettings settings, Runnable whenListening) {
    // Logging starts here, on one thread, before the actor system's threads race to start it.
    LoggerFactory.getILoggerFactory();
    daemonStarted = true;
    try (DaemonRunner.Running daemon = runner.start(settings)) {
      writePidFile();
      daemon.listening().thenRun(whenListening);
      awaitTermination(daemon);
    }
    return EXIT_OK;
  }

  /** The settings from the flags or from the file, both read by {@link SpipedSettings#load}. */
  SpipedSettings settings() {
    Config config = flags.describesPipe() ? flagsConfig() : fileConfig();
    return SpipedSettings.load(config);
  }

  /**
   * The flags' single pipe replaces any pipes configured elsewhere (-Dconfig.file), while the
   * daemon-wide settings there still apply.
   */
  private Config flagsConfig() {
    Config elsewhere = ConfigFactory.load().withoutPath("pekko-spiped.pipes");
    return flags.pipeConfig().withFallback(elsewhere).resolve();
  }

  /** FILE over reference.conf, with system properties over both. */
  private Config fileConfig() {
    Path path = file != null ? file : defaultFile();
    if (path == null) {
      return ConfigFactory.load();
    }

    checkReadable(path);
    try {
      ConfigParseOptions options = ConfigParseOptions.defaults().setAllowMissing(false);
      return ConfigFactory.load(ConfigFactory.parseFile(path.toFile(), options));
    } catch (ConfigException e) {
      throw new UsageException(firstLine(e.getMessage()));
    }
  }

  /** ./application.conf, or null when Typesafe Config's own properties name the file. */
  private Path defaultFile() {
    for (String property : new String[] {"config.file", "config.resource", "config.url"}) {
      if (System.getProperty(property) != null) {
        return null;
      }
    }
    if (!Files.exists(defaultFile)) {
      throw new UsageException(
          "no "
              + defaultFile
              + " found; name a configuration FILE or give spiped's flags"
              + " (see --help)");
    }
    return defaultFile;
  }

  private static void checkReadable(Path path) {
    if (!Files.exists(path)) {
      throw new UsageException("cannot read " + path + " (No such file or directory)");
    }
    if (Files.isDirectory(path)) {
      throw new UsageException("cannot read " + path + " (Is a directory)");
    }
    if (!Files.isReadable(path)) {
      throw new UsageException("cannot read " + path + " (Permission denied)");
    }
  }

  /** spiped writes its pid once it listens; here, once the daemon has started. */
  private void writePidFile() {
    if (flags.pidFile == null) {
      return;
    }
    try {
      Files.writeString(flags.pidFile, ProcessHandle.current().pid() + "\n");
    } catch (IOException e) {
      throw new UsageException("-p: cannot write " + flags.pidFile + " (" + IoReason.of(e) + ")");
    }
  }

  private static void awaitTermination(DaemonRunner.Running daemon) {
    try {
      daemon.terminated().toCompletableFuture().join();
    } catch (CompletionException e) {
      throw new DaemonFailedException(e.getCause() != null ? e.getCause() : e);
    }
  }

  private static int reportFailure(Exception e, CommandLine failed, PrintWriter err) {
    if (e instanceof UsageException || e instanceof SettingsException) {
      printError(err, failed, e.getMessage());
      return EXIT_USAGE;
    }

    // Not bad input, so possibly a bug: the stack trace is kept, at DEBUG, for whoever looks.
    Throwable cause = e instanceof DaemonFailedException ? e.getCause() : e;
    printError(
        err,
        failed,
        firstLine(String.valueOf(cause)) + " (-Dpekko-spiped.log.level=DEBUG logs the details)");
    logger().debug("the command failed", cause);
    return EXIT_FAILURE;
  }

  /** The one line every error gets: "pekko-spiped: [subcommand: ]what is wrong". */
  private static void printError(PrintWriter err, CommandLine where, String message) {
    // A subcommand's own settings already name it ("spipe: key-file: ..."): say it once.
    String line = firstLine(message);
    String prefix = where(where);
    err.println(NAME + ": " + (line.startsWith(prefix) ? line : prefix + line));
  }

  private static String where(CommandLine commandLine) {
    boolean topLevel = commandLine == null || commandLine.getParent() == null;
    return topLevel ? "" : commandLine.getCommandName() + ": ";
  }

  static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int end = message.indexOf('\n');
    return (end < 0 ? message : message.substring(0, end)).trim();
  }

  /** Touched only after --syslog has had its say, so Logback picks the right file. */
  private static Logger logger() {
    return LoggerFactory.getLogger(Main.class);
  }

  /** Logging is asynchronous: give the last lines their chance before the JVM exits. */
  private static void flushLogging() {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      context.stop();
    }
  }

  /** The daemon's termination failed; carries the cause to {@link #reportFailure}. */
  private static final class DaemonFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DaemonFailedException(Throwable cause) {
      super(cause);
    }
  }
}
