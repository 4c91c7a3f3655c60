package org.pekkospiped.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wrapper scripts in ops/, run as an operator runs them, against a real spiped. The fat jar
 * is only built after the tests, so PEKKO_SPIPED_JAR names a jar that holds nothing but a
 * manifest: the fat jar's Main-Class, with the test class path as its Class-Path. Everything
 * the scripts do (find the jar and the JVM, pass JAVA_OPTS, exec java -jar with the arguments)
 * is what they do in production.
 */
class OpsScriptsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path tempDir;

  private Path jar;

  @BeforeEach
  void writeManifestOnlyJar() throws IOException {
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.put(Attributes.Name.MAIN_CLASS, "org.pekkospiped.cli.Main");
    List<String> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      // A directory's URI ends in "/", without which the class loader would take it for a jar.
      urls.add(Path.of(entry).toUri().toString());
    }
    main.put(Attributes.Name.CLASS_PATH, String.join(" ", urls));

    jar = tempDir.resolve("pekko-spiped.jar");
    try (OutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      // The manifest is the whole jar.
    }
  }

  @Test
  void spiped_v_printsTheVersion() {
    try (ExternalProcess spiped = start(List.of(), "ops/spiped", "-v")) {
      String stdout = new String(awaitExit(spiped, 0), StandardCharsets.UTF_8);

      assertTrue(stdout.startsWith("pekko-spiped "), stdout);
      assertTrue(stdout.contains("(spiped 1.6 protocol)"), stdout);
    }
  }

  // JAVA_OPTS, split at white space, reaches the JVM: here one option names the config file.
  @Test
  void spiped_javaOpts_reachTheJvm() throws IOException {
    Path conf = Files.writeString(tempDir.resolve("bad.conf"), "pekko-spiped.pipes.web {}\n");
    String javaOpts = "JAVA_OPTS=-XX:+UseSerialGC  -Dconfig.file=" + conf;

    try (ExternalProcess spiped = start(List.of(javaOpts), "ops/spiped")) {
      awaitExit(spiped, 2);

      assertTrue(spiped.stderr().startsWith("pekko-spiped: pipe 'web': "), spiped::toString);
    }
  }

  // The script execs the JVM: the process started is the one that listens, and SIGTERM reaches it.
  @Test
  void spiped_e_intoRealSpipedDecrypting_carriesAConnection() throws IOException {
    Path key = KeyFiles.random(tempDir, 1);
    byte[] request = RandomBytes.of(2, 100_000);
    InetSocketAddress source = Ports.freeLoopbackAddress();
    try (EchoServer echo = EchoServer.start();
        SpipedProcess decrypting =
            SpipedProcess.decrypting(Ports.freeLoopbackAddress(), echo.address(), key);
        ExternalProcess encrypting =
            start(
                List.of(),
                "ops/spiped",
                "-e",
                "-s",
                Ports.spipedSyntax(source),
                "-t",
                decrypting.source(),
                "-k",
                key.toString())) {
      Ports.awaitListening(encrypting.handle(), Ports.spipedSyntax(source), TIMEOUT);

      assertArrayEquals(request, PlainClient.exchange(source, request, TIMEOUT));

      encrypting.terminate();
      assertTrue(encrypting.awaitExit(TIMEOUT).isPresent(), encrypting::toString);
    }
  }

  @Test
  void spipe_help_reachesTheSpipeSubcommand() {
    try (ExternalProcess spipe = start(List.of(), "ops/spipe", "--help")) {
      String stdout = new String(awaitExit(spipe, 0), StandardCharsets.UTF_8);

      assertTrue(stdout.startsWith("Usage: pekko-spiped spipe "), stdout);
    }
  }

  @Test
  void spipe_throughRealSpipedDecrypting_echoesStdin() {
    Path key = KeyFiles.random(tempDir, 3);
    byte[] stdin = RandomBytes.of(4, 100_000);
    try (EchoServer echo = EchoServer.start();
        SpipedProcess decrypting =
            SpipedProcess.decrypting(Ports.freeLoopbackAddress(), echo.address(), key);
        ExternalProcess spipe =
            ExternalProcess.start(
                command(List.of(), "ops/spipe", "-t", decrypting.source(), "-k", key.toString()),
                stdin)) {
      assertArrayEquals(stdin, awaitExit(spipe, 0));
    }
  }

  private ExternalProcess start(List<String> environment, String script, String... args) {
    return ExternalProcess.start(command(environment, script, args), new byte[0]);
  }

  /**
   * script with args, run through env(1) so that it sees the manifest-only jar, the JDK that
   * runs the tests, no JAVA_OPTS but the test's own, and the rest of this JVM's environment.
   * env execs the script, which execs java: all three are the same process.
   */
  private List<String> command(List<String> environment, String script, String... args) {
    List<String> command = new ArrayList<>();
    command.add("/usr/bin/env");
    command.add("-u");
    command.add("JAVA_OPTS");
    command.add("PEKKO_SPIPED_JAR=" + jar);
    command.add("JAVA=" + Path.of(System.getProperty("java.home"), "bin", "java"));
    command.addAll(environment);
    command.add(script);
    command.addAll(List.of(args));
    return command;
  }

  /** Waits for the exit, checks its status and returns what the process wrote to stdout. */
  private static byte[] awaitExit(ExternalProcess process, int expectedStatus) {
    Optional<Integer> status = process.awaitExit(TIMEOUT);

    assertEquals(Optional.of(expectedStatus), status, process::toString);
    return process.stdout(TIMEOUT);
  }
}
