package org.pekkospiped.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * spiped 1.6's command line. The flags that describe the pipe only fill in HOCON for one pipe named
 * {@code cli} (see {@link #pipeConfig}); its defaults and checks stay in reference.conf and the
 * config package, so a flag and the equal line in a file mean the same thing.
 */
final class SpipedFlags {
  /** The pipe the flags describe, under pekko-spiped.pipes. */
  static final String PIPE_NAME = "cli";

  @Option(names = "-e", description = "Encrypt: plaintext in on the source, encrypted out.")
  boolean encrypt;

  @Option(names = "-d", description = "Decrypt: encrypted in on the source, plaintext out.")
  boolean decrypt;

  @Option(
      names = "-s",
      paramLabel = "<source socket>",
      description = "Listen here: /unix/socket, host:port, [v4]:port or [v6]:port.")
  String source;

  @Option(
      names = "-t",
      paramLabel = "<target socket>",
      description = "Connect here, in the same forms.")
  String target;

  @Option(
      names = "-k",
      paramLabel = "<key file>",
      description = "The shared key file, - for standard input.")
  String keyFile;

  @Option(names = "-f", description = "Skip Diffie-Hellman: no forward secrecy.")
  boolean noForwardSecrecy;

  @Option(names = "-g", description = "Require forward secrecy: drop peers that use -f.")
  boolean requireForwardSecrecy;

  @Option(names = "-j", description = "Turn off TCP keep-alives.")
  boolean noKeepAlive;

  @Option(
      names = "-n",
      paramLabel = "<max # connections>",
      description = "Most connections at once, 0 = no limit (default 100).")
  Integer maxConnections;

  @Option(
      names = "-o",
      paramLabel = "<connection timeout>",
      description = "Seconds for connecting and for the handshake (default 5).")
  String timeout;

  @Option(
      names = "-r",
      paramLabel = "<rtime>",
      description = "Look up the target's host name again every rtime seconds (default 60).")
  String reResolveSeconds;

  @Option(names = "-R", description = "Never look up the target's host name again.")
  boolean noReResolve;

  @Option(
      names = "-b",
      paramLabel = "<bind address>",
      description = "Local address for outgoing connections, port optional.")
  String bindAddress;

  @Option(names = "-D", description = "Keep retrying failed DNS lookups at start.")
  boolean waitForDns;

  @Option(
      names = "-p",
      paramLabel = "<pidfile>",
      description = "Write the process id here once the daemon has started.")
  Path pidFile;

  @Option(names = "-F", description = "Run in the foreground (always so; accepted for spiped).")
  boolean foreground;

  @Option(names = "--syslog", description = "Log to syslog instead of stderr.")
  boolean syslog;

  @Option(
      names = "-u",
      paramLabel = "<user:group>",
      description = "Not supported: start as that user (see ops/pekko-spiped.service).")
  String user;

  /** True when any flag describing a pipe was given, as opposed to -p, -F, --syslog. */
  boolean describesPipe() {
    return encrypt
        || decrypt
        || source != null
        || target != null
        || keyFile != null
        || noForwardSecrecy
        || requireForwardSecrecy
        || noKeepAlive
        || maxConnections != null
        || timeout != null
        || reResolveSeconds != null
        || noReResolve
        || bindAddress != null
        || waitForDns;
  }

  /** Refuses what spiped refuses (and -u, which a JVM cannot do). */
  void check() {
    if (user != null) {
      throw new UsageException(
          "-u is not supported: a JVM cannot drop privileges after binding; start pekko-spiped"
              + " as that user instead (ops/pekko-spiped.service runs it as a systemd"
              + " DynamicUser= that may bind ports below 1024)");
    }
    if (!describesPipe()) {
      return;
    }
    if (encrypt == decrypt) {
      throw new UsageException(encrypt ? "-e and -d exclude each other" : "-e or -d is required");
    }
    requireFlag(source, "-s <source socket>");
    requireFlag(target, "-t <target socket>");
    requireFlag(keyFile, "-k <key file>");
    if (noForwardSecrecy && requireForwardSecrecy) {
      throw new UsageException("-f and -g exclude each other");
    }
    if (noReResolve && reResolveSeconds != null) {
      throw new UsageException("-r and -R exclude each other");
    }
  }

  /**
   * The pipe as HOCON, at {@code pekko-spiped.pipes.cli}. Only the flags given are set; the rest
   * falls back to pipe-defaults, as in a file.
   */
  Config pipeConfig() {
    check();

    Map<String, Object> pipe = new LinkedHashMap<>();
    pipe.put("mode", encrypt ? "encrypt" : "decrypt");
    pipe.put("source", source);
    pipe.put("target", target);
    pipe.put("key-file", keyFile);
    if (noForwardSecrecy) {
      pipe.put("forward-secrecy", "off");
    }
    if (requireForwardSecrecy) {
      pipe.put("forward-secrecy", "required");
    }
    if (noKeepAlive) {
      pipe.put("keepalive", "off");
    }
    if (maxConnections != null) {
      pipe.put("max-connections", maxConnections);
    }
    seconds("-o", timeout).ifPresent(duration -> pipe.put("timeout", duration));
    seconds("-r", reResolveSeconds)
        .ifPresent(duration -> pipe.put("re-resolve-interval", duration));
    if (noReResolve) {
      pipe.put("re-resolve-interval", "off");
    }
    if (bindAddress != null) {
      pipe.put("bind-address", bindAddress);
    }
    if (waitForDns) {
      pipe.put("wait-for-dns", "on");
    }

    return ConfigValueFactory.fromMap(pipe, "command line")
        .toConfig()
        .atPath("pekko-spiped.pipes." + PIPE_NAME);
  }

  /**
   * spiped's seconds (a decimal number, {@code 2.5} allowed) as a HOCON duration. 0 gives nothing,
   * so the default applies: spiped reads {@code -o 0} and {@code -r 0} that way too.
   */
  static Optional<String> seconds(String flag, String value) {
    if (value == null) {
      return Optional.empty();
    }

    BigDecimal seconds;
    try {
      seconds = new BigDecimal(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(flag + ": '" + value + "' is not a number of seconds");
    }
    if (seconds.signum() < 0) {
      throw new UsageException(flag + ": '" + value + "' is negative");
    }
    if (seconds.signum() == 0) {
      return Optional.empty();
    }
    return Optional.of(seconds.stripTrailingZeros().toPlainString() + "s");
  }

  private static void requireFlag(String value, String flag) {
    if (value == null) {
      throw new UsageException(flag + " is required");
    }
  }
}
