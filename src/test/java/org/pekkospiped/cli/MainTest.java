package org.pekkospiped.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pekkospiped.config.Endpoint;
import org.pekkospiped.config.Mode;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SpipeOptions;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.pipe.Spipe;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.ProtocolKey;
import picocli.CommandLine;

class MainTest {
  @TempDir Path dir;

  private Path keyFile;
  private final List<SpipedSettings> started = new ArrayList<>();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void writeKey() throws IOException {
    keyFile = dir.resolve("k.key");
    Files.write(keyFile, new byte[] {7, 7, 7});
  }

  // ---- spiped's flags ----

  @Test
  void flags_sameAsEqualHoconFile_samePipeSettings() throws IOException {
    Path file = dir.resolve("cli.conf");
    Files.writeString(
        file,
        "pekko-spiped.pipes.cli {\n"
            + "  mode = encrypt\n"
            + "  source = \"[127.0.0.1]:8025\"\n"
            + "  target = \"[127.0.0.1]:8026\"\n"
            + "  key-file = \""
            + keyFile
            + "\"\n"
            + "  max-connections = 7\n"
            + "  timeout = 3s\n"
            + "  forward-secrecy = off\n"
            + "  keepalive = off\n"
            + "  re-resolve-interval = off\n"
            + "}\n");

    PipeSettings fromFlags =
        onlyPipe(
            run(
                "-e",
                "-s",
                "[127.0.0.1]:8025",
                "-t",
                "[127.0.0.1]:8026",
                "-k",
                keyFile.toString(),
                "-n",
                "7",
                "-o",
                "3",
                "-f",
                "-j",
                "-R"));
    PipeSettings fromFile = onlyPipe(run(file.toString()));

    assertEquals(fromFile, fromFlags);
    assertEquals(
        new PipeSettings(
            "cli",
            Mode.ENCRYPT,
            new Endpoint.Tcp("127.0.0.1", 8025, true),
            new Endpoint.Tcp("127.0.0.1", 8026, true),
            List.of(ProtocolKey.ofFileContents(new byte[] {7, 7, 7})),
            ForwardSecrecy.OFF,
            Duration.ofSeconds(3),
            7,
            false,
            Optional.empty(),
            Optional.empty(),
            false),
        fromFlags);
  }

  @Test
  void flags_onlyRequired_spipedDefaults() {
    PipeSettings cli = onlyPipe(run("-d", "-s", "/tmp/in.sock", "-t", "host:80", "-k", key()));

    assertEquals(Mode.DECRYPT, cli.mode());
    assertEquals(ForwardSecrecy.ON, cli.forwardSecrecy());
    assertEquals(Duration.ofSeconds(5), cli.timeout());
    assertEquals(100, cli.maxConnections());
    assertTrue(cli.keepAlive());
    assertEquals(Optional.of(Duration.ofSeconds(60)), cli.reResolveInterval());
  }

  @Test
  void flags_theRest_mapped() {
    PipeSettings cli =
        onlyPipe(
            run(
                "-e",
                "-s",
                "[::1]:1",
                "-t",
                "host:2",
                "-k",
                key(),
                "-g",
                "-r",
                "2.5",
                "-b",
                "10.0.0.1",
                "-D",
                "-F"));

    assertEquals(ForwardSecrecy.REQUIRED, cli.forwardSecrecy());
    assertEquals(Optional.of(Duration.ofMillis(2500)), cli.reResolveInterval());
    assertEquals(Optional.of(new Endpoint.Tcp("10.0.0.1", 0, false)), cli.bindAddress());
    assertTrue(cli.waitForDns());
  }

  @Test
  void flags_clustered_asSpipedTakesThem() {
    PipeSettings cli =
        onlyPipe(run("-e", "-s", "[::1]:1", "-t", "host:2", "-k", key(), "-DFj", "-n0"));

    assertTrue(cli.waitForDns());
    assertEquals(false, cli.keepAlive());
    assertEquals(0, cli.maxConnections());
  }

  @Test
  void flags_zeroSeconds_meanTheDefault() {
    PipeSettings cli =
        onlyPipe(run("-e", "-s", "[::1]:1", "-t", "host:2", "-k", key(), "-o", "0", "-r", "0"));

    assertEquals(Duration.ofSeconds(5), cli.timeout());
    assertEquals(Optional.of(Duration.ofSeconds(60)), cli.reResolveInterval());
  }

  @Test
  void flags_pidFile_written() throws IOException {
    Path pidFile = dir.resolve("spiped.pid");

    run("-e", "-s", "[::1]:1", "-t", "host:2", "-k", key(), "-p", pidFile.toString());

    assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(pidFile));
  }

  @Test
  void flags_syslog_selectsSyslogLogbackFileBeforeTheDaemonStarts() {
    List<String> seen = new ArrayList<>();
    try {
      int status =
          Main.execute(
              new String[] {"-e", "-s", "[::1]:1", "-t", "host:2", "-k", key(), "--syslog"},
              settings -> {
                seen.add(System.getProperty("logback.configurationFile"));
                return stopped();
              },
              new PrintWriter(out),
              new PrintWriter(err));
      assertEquals(0, status, err.toString());
    } finally {
      System.clearProperty("logback.configurationFile");
    }
    assertEquals(List.of("logback-syslog.xml"), seen);
  }

  // ---- bad input: one line, status 2 ----

  @Test
  void flags_fAndG_refused() {
    assertUsageError("-f and -g exclude each other", pipeFlags("-f", "-g"));
  }

  @Test
  void flags_eAndD_refused() {
    assertUsageError("-e and -d exclude each other", "-e", "-d", "-s", "/a", "-t", "/b", "-k", "k");
  }

  @Test
  void flags_noMode_refused() {
    assertUsageError("-e or -d is required", "-s", "/a", "-t", "/b", "-k", "k");
  }

  @Test
  void flags_missingSource_refused() {
    assertUsageError("-s <source socket> is required", "-e", "-t", "/b", "-k", "k");
  }

  @Test
  void flags_rAndR_refused() {
    assertUsageError("-r and -R exclude each other", pipeFlags("-r", "5", "-R"));
  }

  @Test
  void flags_u_refusedPointingToTheUnit() {
    assertUsageError(
        "-u is not supported: a JVM cannot drop privileges after binding; start pekko-spiped as"
            + " that user instead (ops/pekko-spiped.service runs it as a systemd DynamicUser= that"
            + " may bind ports below 1024)",
        pipeFlags("-u", "spiped:spiped"));
    // The tests run in the repository's root.
    assertTrue(Files.isRegularFile(Path.of("ops/pekko-spiped.service")), "the unit it names");
  }

  @Test
  void flags_badSeconds_refused() {
    assertUsageError("-o: 'soon' is not a number of seconds", pipeFlags("-o", "soon"));
    assertUsageError("-r: '-3' is negative", pipeFlags("-r", "-3"));
  }

  @Test
  void flags_negativeConnections_refusedBySettings() {
    assertUsageError(
        "pipe 'cli': max-connections: -1 is negative (0 means no limit)", pipeFlags("-n", "-1"));
  }

  @Test
  void flags_badAddress_refusedBySettings() {
    assertUsageError(
        "pipe 'cli': target: 'host:' has no port after ':'",
        "-e",
        "-s",
        "[::1]:1",
        "-t",
        "host:",
        "-k",
        key());
  }

  @Test
  void flags_missingKeyFile_refusedBySettings() {
    Path missing = dir.resolve("none.key");
    assertUsageError(
        "pipe 'cli': key-file: cannot read " + missing + " (No such file or directory)",
        "-e",
        "-s",
        "[::1]:1",
        "-t",
        "host:2",
        "-k",
        missing.toString());
  }

  @Test
  void flags_withFile_refused() {
    assertUsageError(
        "give a configuration FILE or spiped's flags, not both", pipeFlags("some.conf"));
  }

  @Test
  void flags_unknownOption_refused() {
    assertUsageError("Unknown option: '-x' (see --help)", "-x");
  }

  @Test
  void flags_repeated_refused() {
    assertUsageError(
        "option '-s' (<source socket>) should be specified only once (see --help)",
        pipeFlags("-s", "/again"));
  }

  @Test
  void flags_notANumber_refused() {
    assertUsageError(
        "Invalid value for option '-n': 'lots' is not an int (see --help)",
        pipeFlags("-n", "lots"));
  }

  // ---- configuration file ----

  @Test
  void file_defaultAbsent_refusedInOneLine() {
    Path absent = dir.resolve("application.conf");
    int status =
        Main.execute(
            new String[0], this::record, absent, new PrintWriter(out), new PrintWriter(err));

    assertEquals(2, status);
    assertEquals(
        "pekko-spiped: no "
            + absent
            + " found; name a configuration FILE or give spiped's"
            + " flags (see --help)\n",
        err.toString());
  }

  @Test
  void file_defaultPresent_used() throws IOException {
    Path conf = dir.resolve("application.conf");
    Files.writeString(
        conf,
        "pekko-spiped.pipes.web { mode = decrypt, source = \"[127.0.0.1]:1\","
            + " target = \"[127.0.0.1]:2\", key-file = \""
            + keyFile
            + "\" }");

    int status =
        Main.execute(new String[0], this::record, conf, new PrintWriter(out), new PrintWriter(err));

    assertEquals(0, status, err.toString());
    assertEquals("web", onlyPipe(started.get(0)).name());
  }

  @Test
  void file_missing_refused() {
    Path missing = dir.resolve("nope.conf");
    assertUsageError("cannot read " + missing + " (No such file or directory)", missing.toString());
  }

  @Test
  void file_syntaxError_refusedInOneLine() throws IOException {
    Path file = dir.resolve("bad.conf");
    Files.writeString(file, "pekko-spiped {\n  pipes = {\n");

    int status = execute(file.toString());

    assertEquals(2, status);
    assertOneLine(err.toString());
    assertTrue(err.toString().startsWith("pekko-spiped: " + file), err.toString());
  }

  @Test
  void file_noPipes_refused() throws IOException {
    Path file = dir.resolve("empty.conf");
    Files.writeString(file, "# nothing yet\n");

    assertUsageError("no pipes configured under pekko-spiped.pipes", file.toString());
  }

  @Test
  void demoApplicationConf_describesTheCurlPipePair() {
    // The demo names demo.key relative to the working directory; point it at a real key here.
    var demo =
        ConfigFactory.parseFile(Path.of("application.conf").toFile())
            .withValue(
                "pekko-spiped.pipes.demo-encrypt.key-file",
                ConfigValueFactory.fromAnyRef(keyFile.toString()))
            .withValue(
                "pekko-spiped.pipes.demo-decrypt.key-file",
                ConfigValueFactory.fromAnyRef(keyFile.toString()));

    List<PipeSettings> pipes =
        SpipedSettings.load(demo.withFallback(ConfigFactory.defaultReference())).pipes();

    assertEquals(2, pipes.size());
    PipeSettings decrypt = pipes.get(0);
    PipeSettings encrypt = pipes.get(1);
    assertEquals(Mode.DECRYPT, decrypt.mode());
    assertEquals(
        "[127.0.0.1]:8026 -> [127.0.0.1]:8080", decrypt.source() + " -> " + decrypt.target());
    assertEquals(Mode.ENCRYPT, encrypt.mode());
    assertEquals(
        "[127.0.0.1]:8025 -> [127.0.0.1]:8026", encrypt.source() + " -> " + encrypt.target());
  }

  // ---- help and version ----

  @Test
  void version_printed() {
    assertEquals(0, execute("-v"));
    assertTrue(out.toString().startsWith("pekko-spiped "), out.toString());
  }

  @Test
  void help_printed() {
    assertEquals(0, execute("--help"));
    assertTrue(out.toString().contains("keygen FILE"), out.toString());
    assertTrue(out.toString().contains("-s <source socket>"), out.toString());
  }

  // ---- keygen ----

  @Test
  void keygen_newFile_32BytesOwnerOnly() throws IOException {
    Path key = dir.resolve("new.key");

    assertEquals(0, execute("keygen", key.toString()), err.toString());

    assertEquals(32, Files.size(key));
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(key));
  }

  @Test
  void keygen_twice_differentKeys() throws IOException {
    Path first = dir.resolve("a.key");
    Path second = dir.resolve("b.key");

    execute("keygen", first.toString());
    execute("keygen", second.toString());

    assertTrue(
        !java.util.Arrays.equals(Files.readAllBytes(first), Files.readAllBytes(second)),
        "two keygen runs wrote the same key");
  }

  @Test
  void keygen_existingFile_refusedAndKept() throws IOException {
    byte[] before = Files.readAllBytes(keyFile);

    assertUsageError(
        "keygen: " + keyFile + " already exists; a key file is never overwritten",
        "keygen",
        keyFile.toString());

    assertArrayEquals(before, Files.readAllBytes(keyFile));
  }

  @Test
  void keygen_missingDirectory_refused() {
    Path key = dir.resolve("no/such/dir.key");
    assertUsageError(
        "keygen: cannot create " + key + " (No such file or directory)", "keygen", key.toString());
  }

  @Test
  void keygen_noFile_refused() {
    assertUsageError("keygen: Missing required parameter: 'FILE' (see --help)", "keygen");
  }

  // ---- spipe ----

  @Test
  void spipe_flags_parsedIntoOptions() {
    SpipeCommand spipe = new SpipeCommand();
    new CommandLine(spipe).parseArgs("-t", "[127.0.0.1]:8025", "-k", key(), "-f", "-j", "-o", "2");

    assertEquals(
        new SpipeOptions(
            new Endpoint.Tcp("127.0.0.1", 8025, true),
            ProtocolKey.ofFileContents(new byte[] {7, 7, 7}),
            ForwardSecrecy.OFF,
            Duration.ofSeconds(2),
            false),
        spipe.options());
  }

  @Test
  void spipe_defaults_fromPipeDefaults() {
    SpipeCommand spipe = new SpipeCommand();
    new CommandLine(spipe).parseArgs("-t", "/tmp/s.sock", "-k", key());

    SpipeOptions options = spipe.options();
    assertEquals(ForwardSecrecy.ON, options.forwardSecrecy());
    assertEquals(Duration.ofSeconds(5), options.timeout());
    assertTrue(options.keepAlive());
  }

  @Test
  void spipe_fAndG_refused() {
    assertUsageError(
        "spipe: -f and -g exclude each other", "spipe", "-t", "/tmp/s", "-k", key(), "-f", "-g");
  }

  @Test
  void spipe_noTarget_refused() {
    assertUsageError(
        "spipe: Missing required option: '-t <target socket>' (see --help)", "spipe", "-k", key());
  }

  @Test
  void spipe_missingKeyFile_namesSpipeOnce() {
    Path missing = dir.resolve("nonexistent.key");
    assertUsageError(
        "spipe: key-file: cannot read " + missing + " (No such file or directory)",
        "spipe",
        "-t",
        "[127.0.0.1]:1",
        "-k",
        missing.toString());
  }

  // Goal: a server that hangs up during the handshake, as spiped does on a wrong key, is told in
  // words, not as the name of an enum constant.
  @Test
  void spipe_serverClosesDuringHandshake_saysWhatThatMeans() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread hangUp =
          new Thread(
              () -> {
                try (Socket accepted = server.accept()) {
                  accepted.shutdownOutput();
                  accepted.getInputStream().readNBytes(1);
                } catch (IOException ignored) {
                  // the test fails on spipe's message, if at all
                }
              });
      hangUp.start();
      SpipeCommand spipe = new SpipeCommand();
      new CommandLine(spipe)
          .parseArgs("-t", "[127.0.0.1]:" + server.getLocalPort(), "-k", key(), "-o", "5");

      CompletionException failed =
          assertThrows(
              CompletionException.class,
              () ->
                  Spipe.run(
                          spipe.options(),
                          ConfigFactory.load(),
                          new ByteArrayInputStream(new byte[0]),
                          new ByteArrayOutputStream())
                      .toCompletableFuture()
                      .join());
      hangUp.join(5_000);

      assertEquals(
          "connection to [127.0.0.1]:"
              + server.getLocalPort()
              + " failed: the server closed the connection during the handshake"
              + " (wrong key, or it cannot reach its target)",
          failed.getCause().getMessage());
    }
  }

  // ---- helpers ----

  private String key() {
    return keyFile.toString();
  }

  /** A valid pipe on the command line, then {@code more}. */
  private String[] pipeFlags(String... more) {
    List<String> args =
        new ArrayList<>(List.of("-e", "-s", "[::1]:1", "-t", "host:2", "-k", key()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  private SpipedSettings run(String... args) {
    int status = execute(args);
    assertEquals(0, status, err.toString());
    assertEquals(1, started.size());
    return started.remove(0);
  }

  private int execute(String... args) {
    return Main.execute(args, this::record, new PrintWriter(out), new PrintWriter(err));
  }

  private DaemonRunner.Running record(SpipedSettings settings) {
    started.add(settings);
    return stopped();
  }

  /** A daemon that has already shut down, so Main returns at once. */
  private static DaemonRunner.Running stopped() {
    return new DaemonRunner.Running() {
      @Override
      public CompletionStage<?> terminated() {
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public void close() {}
    };
  }

  private void assertUsageError(String message, String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);

    int status = execute(args);

    assertEquals(2, status, "exit status; stderr: " + err);
    assertEquals("pekko-spiped: " + message + "\n", err.toString());
    assertTrue(started.isEmpty(), "the daemon must not start");
  }

  private static void assertOneLine(String text) {
    assertEquals(1, text.lines().count(), text);
  }

  private static PipeSettings onlyPipe(SpipedSettings settings) {
    assertEquals(1, settings.pipes().size());
    return settings.pipes().get(0);
  }
}
