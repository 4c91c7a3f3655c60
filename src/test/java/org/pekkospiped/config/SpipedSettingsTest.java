package org.pekkospiped.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.ProtocolKey;

class SpipedSettingsTest {
  @TempDir Path dir;

  private Path keyFile;

  @BeforeEach
  void writeKey() throws IOException {
    keyFile = dir.resolve("web.key");
    Files.write(keyFile, new byte[] {1, 2, 3, 4});
  }

  // ---- defaults ----

  @Test
  void load_onlyRequiredKeys_spipedDefaults() throws IOException {
    PipeSettings web = onlyPipe(load(web()));

    assertEquals("web", web.name());
    assertEquals(Mode.DECRYPT, web.mode());
    assertEquals(new Endpoint.Tcp("127.0.0.1", 8025, true), web.source());
    assertEquals(new Endpoint.Tcp("127.0.0.1", 8080, true), web.target());
    assertEquals(List.of(ProtocolKey.ofFileContents(Files.readAllBytes(keyFile))), web.keys());
    // spiped 1.6: no -f/-g, -o 5, -n 100, keep-alives on, -r 60, no -b, no -D.
    assertEquals(ForwardSecrecy.ON, web.forwardSecrecy());
    assertEquals(Duration.ofSeconds(5), web.timeout());
    assertEquals(100, web.maxConnections());
    assertTrue(web.keepAlive());
    assertEquals(Optional.of(Duration.ofSeconds(60)), web.reResolveInterval());
    assertEquals(Optional.empty(), web.bindAddress());
    assertFalse(web.waitForDns());
  }

  @Test
  void load_daemonWideDefaults() {
    SpipedSettings settings = load(web());

    assertEquals(Duration.ofSeconds(30), settings.shutdownTimeout());
    assertEquals(Duration.ofSeconds(1), settings.restartMinBackoff());
    assertEquals(Duration.ofSeconds(30), settings.restartMaxBackoff());
    assertEquals(
        new StreamSettings(StreamSettings.Transport.NIO, true, 16, 64 * 1024, 0, 0),
        settings.stream());
    assertEquals(Optional.empty(), settings.prometheusEndpoint());
  }

  @Test
  void load_everyPipeSetting_read() {
    PipeSettings web =
        onlyPipe(
            load(
                web(
                    "mode = encrypt",
                    "source = /tmp/web.sock",
                    "target = \"example.com:443\"",
                    "forward-secrecy = required",
                    "timeout = 2500ms",
                    "max-connections = 0",
                    "keepalive = off",
                    "re-resolve-interval = off",
                    "bind-address = \"::1\"",
                    "wait-for-dns = on")));

    assertEquals(Mode.ENCRYPT, web.mode());
    assertEquals(new Endpoint.Unix(Path.of("/tmp/web.sock")), web.source());
    assertEquals(new Endpoint.Tcp("example.com", 443, false), web.target());
    assertEquals(ForwardSecrecy.REQUIRED, web.forwardSecrecy());
    assertEquals(Duration.ofMillis(2500), web.timeout());
    assertEquals(0, web.maxConnections());
    assertFalse(web.keepAlive());
    assertEquals(Optional.empty(), web.reResolveInterval());
    assertEquals(Optional.of(new Endpoint.Tcp("::1", 0, true)), web.bindAddress());
    assertTrue(web.waitForDns());
  }

  @Test
  void load_pipeDefaultsOverridden_applyToEveryPipe() {
    SpipedSettings settings =
        load(
            "pekko-spiped.pipe-defaults.max-connections = 7\n"
                + web()
                + pipe("api", "source = \"[127.0.0.1]:9025\"", "max-connections = 9"));

    assertEquals(List.of("api", "web"), settings.pipes().stream().map(PipeSettings::name).toList());
    assertEquals(9, settings.pipes().get(0).maxConnections());
    assertEquals(7, settings.pipes().get(1).maxConnections());
  }

  @Test
  void load_keyFileList_everyKeyInOrder() throws IOException {
    Path oldKey = dir.resolve("old.key");
    Files.write(oldKey, new byte[] {9});

    PipeSettings web = onlyPipe(load(web("key-file = [\"" + keyFile + "\", \"" + oldKey + "\"]")));

    assertEquals(
        List.of(
            ProtocolKey.ofFileContents(Files.readAllBytes(keyFile)),
            ProtocolKey.ofFileContents(new byte[] {9})),
        web.keys());
  }

  @Test
  void protocolKey_equalContents_equal() {
    assertEquals(
        ProtocolKey.ofFileContents(new byte[] {1, 2}),
        ProtocolKey.ofFileContents(new byte[] {1, 2}));
    assertNotEquals(
        ProtocolKey.ofFileContents(new byte[] {1, 2}),
        ProtocolKey.ofFileContents(new byte[] {2, 1}));
  }

  @Test
  void toString_neverShowsKeys() {
    String text = onlyPipe(load(web())).toString();

    assertTrue(text.contains("keys=1"), text);
    assertFalse(text.contains("ProtocolKey"), text);
  }

  @Test
  void load_systemPropertyStyleOverride_winsOverFile() {
    Config overrides = ConfigFactory.parseString("pekko-spiped.shutdown-timeout = 3s");
    SpipedSettings settings =
        SpipedSettings.load(
            overrides
                .withFallback(ConfigFactory.parseString(web()))
                .withFallback(ConfigFactory.defaultReference()));

    assertEquals(Duration.ofSeconds(3), settings.shutdownTimeout());
  }

  // ---- errors, one line each ----

  @Test
  void load_noPipes_refused() {
    assertEquals("no pipes configured under pekko-spiped.pipes", error(""));
  }

  @Test
  void load_unknownMode_refused() {
    assertEquals(
        "pipe 'web': mode: unknown mode 'both' (expected encrypt or decrypt)",
        error(web("mode = both")));
  }

  @Test
  void load_missingRequiredKey_refusedNamingIt() {
    for (String key : List.of("mode", "source", "target", "key-file")) {
      assertEquals(
          "pipe 'web': " + key + ": missing (every pipe sets mode, source, target and key-file)",
          error(web(key + " = null")),
          key);
    }
  }

  @Test
  void load_wrongTypes_refused() {
    assertEquals(
        "pipe 'web': timeout: expected a duration such as 5s, got list [5]",
        error(web("timeout = [5]")));
    assertEquals(
        "pipe 'web': max-connections: expected a whole number, got string 'many'",
        error(web("max-connections = many")));
    assertEquals(
        "pipe 'web': max-connections: expected a whole number, got 1.5",
        error(web("max-connections = 1.5")));
    assertEquals(
        "pipe 'web': keepalive: expected on or off, got string 'sometimes'",
        error(web("keepalive = sometimes")));
    assertEquals(
        "pipe 'web': source: expected a string, got object {\"port\":80}",
        error(web("source { port = 80 }")));
    assertEquals(
        "pipe 'web': key-file: expected a string or a list of strings, got list [{}]",
        error(web("key-file = [{}]")));
  }

  @Test
  void load_pipeNotAnObject_refused() {
    assertEquals(
        "pipe 'web': expected an object { mode = ..., source = ... }, got string 'oops'",
        error("pekko-spiped.pipes.web = oops"));
  }

  @Test
  void load_badDurations_refused() {
    assertEquals(
        "pipe 'web': timeout: 'soon' is not a duration (expected a number and a unit, as 5s)",
        error(web("timeout = soon")));
    assertEquals(
        "pipe 'web': timeout: write a unit, as in 5s (a bare number 5 means milliseconds)",
        error(web("timeout = 5")));
    assertEquals("pipe 'web': timeout: '0s' must be more than 0s", error(web("timeout = 0s")));
    assertEquals(
        "pipe 'web': re-resolve-interval: '-1s' must be more than 0s",
        error(web("re-resolve-interval = -1s")));
  }

  @Test
  void load_timeoutOutsideWhatTheSchedulerTakes_refused() {
    assertEquals(
        "pipe 'web': timeout: 365d is more than 248 days",
        error(web("timeout = 365d")));
    assertEquals(
        "pipe 'web': timeout: 1ns is less than 1ms", error(web("timeout = 1ns")));
  }

  @Test
  void load_unparsableAddress_refused() {
    assertEquals(
        "pipe 'web': source: 'host:99999': port 99999 is out of range 0-65535",
        error(web("source = \"host:99999\"")));
    assertEquals(
        "pipe 'web': target: '[::1' has no closing ']' (expected [address]:port)",
        error(web("target = \"[::1\"")));
  }

  @Test
  void load_targetPortZero_refused() {
    assertEquals(
        "pipe 'web': target: '[127.0.0.1]:0': port 0 cannot be connected to",
        error(web("target = \"[127.0.0.1]:0\"")));
  }

  @Test
  void load_missingKeyFile_refused() {
    Path missing = dir.resolve("missing.key");
    assertEquals(
        "pipe 'web': key-file: cannot read " + missing + " (No such file or directory)",
        error(web("key-file = \"" + missing + "\"")));
  }

  // Goal: a relative key file is read from the working directory, and the error says where.
  @Test
  void load_missingRelativeKeyFile_refusedWithAbsolutePath() {
    Path absolute = Path.of("no-such-dir", "web.key").toAbsolutePath();
    assertEquals(
        "pipe 'web': key-file: cannot read " + absolute + " (No such file or directory)",
        error(web("key-file = \"no-such-dir/web.key\"")));
  }

  @Test
  void load_keyFileIsADirectory_refused() {
    assertEquals(
        "pipe 'web': key-file: cannot read " + dir + " (Is a directory)",
        error(web("key-file = \"" + dir + "\"")));
  }

  @Test
  void load_emptyKeyFileList_refused() {
    assertEquals("pipe 'web': key-file: the list is empty", error(web("key-file = []")));
  }

  @Test
  void load_negativeMaxConnections_refused() {
    assertEquals(
        "pipe 'web': max-connections: -1 is negative (0 means no limit)",
        error(web("max-connections = -1")));
  }

  @Test
  void load_unknownForwardSecrecy_refused() {
    assertEquals(
        "pipe 'web': forward-secrecy: unknown value 'maybe' (expected on, off or required)",
        error(web("forward-secrecy = maybe")));
    assertEquals(
        "pipe 'web': forward-secrecy: unknown value 'true' (expected on, off or required)",
        error(web("forward-secrecy = true")));
  }

  @Test
  void load_bindAddressWithUnixTarget_refused() {
    assertEquals(
        "pipe 'web': bind-address: cannot apply to the Unix socket target /tmp/t.sock"
            + " (set it to \"\")",
        error(web("target = /tmp/t.sock", "bind-address = \"10.0.0.1\"")));
  }

  @Test
  void load_misspeltPipeSetting_refused() {
    assertEquals("pipe 'web': max-conections: unknown setting", error(web("max-conections = 5")));
  }

  @Test
  void load_misspeltDaemonSetting_refused() {
    assertEquals(
        "pekko-spiped.shutdown-timout: unknown setting",
        error("pekko-spiped.shutdown-timout = 5s\n" + web()));
  }

  @Test
  void load_twoPipesOneSource_refused() {
    assertEquals(
        "pipe 'web': source: [127.0.0.1]:8025 is also the source of pipe 'api'",
        error(web() + pipe("api")));
  }

  @Test
  void load_wrongTypeAgainstReference_oneLine() {
    String message = error("pekko-spiped.restart = 5\n" + web());

    assertEquals(
        "pekko-spiped.restart: wrong value type, expecting: object with keys"
            + " [max-backoff, min-backoff] but got: number",
        message);
  }

  @Test
  void load_badDaemonWideValues_refused() {
    assertEquals(
        "pekko-spiped.restart.max-backoff: is less than restart.min-backoff",
        error("pekko-spiped.restart { min-backoff = 5s, max-backoff = 1s }\n" + web()));
    assertEquals(
        "pekko-spiped.stream.packets-per-write: 0 is less than 1",
        error("pekko-spiped.stream.packets-per-write = 0\n" + web()));
    assertEquals(
        "pekko-spiped.metrics.prometheus-endpoint: 'nowhere' is neither an absolute Unix socket"
            + " path nor host:port",
        error("pekko-spiped.metrics.prometheus-endpoint = nowhere\n" + web()));
  }

  @Test
  void load_unixPrometheusEndpoint_refused() {
    assertEquals(
        "pekko-spiped.metrics.prometheus-endpoint: '/tmp/m.sock' is a Unix socket path;"
            + " only host:port is supported",
        error("pekko-spiped.metrics.prometheus-endpoint = \"/tmp/m.sock\"\n" + web()));
  }

  @Test
  void load_streamSettings_read() {
    SpipedSettings settings =
        load(
            "pekko-spiped.stream { transport = pekko-tcp, event-loops = off, packets-per-write = 2, read-size = 16 KiB,"
                + " send-buffer-size = 1 MiB, receive-buffer-size = 262144 }\n"
                + web());

    assertEquals(
        new StreamSettings(
            StreamSettings.Transport.PEKKO_TCP, false, 2, 16 * 1024, 1024 * 1024, 262144),
        settings.stream());
  }

  @Test
  void load_badStreamSettings_refused() {
    assertEquals(
        "pekko-spiped.stream.transport: expected nio or pekko-tcp, got netty",
        error("pekko-spiped.stream.transport = netty\n" + web()));
    assertEquals(
        "pekko-spiped.stream.read-size: 100 must be from 1024 bytes to 2 GiB",
        error("pekko-spiped.stream.read-size = 100\n" + web()));
    assertEquals(
        "pekko-spiped.stream.send-buffer-size: expected a size such as 64 KiB, got 'lots'",
        error("pekko-spiped.stream.send-buffer-size = lots\n" + web()));
  }

  @Test
  void load_prometheusEndpoint_parsed() {
    SpipedSettings settings =
        load("pekko-spiped.metrics.prometheus-endpoint = \"[127.0.0.1]:9102\"\n" + web());

    assertEquals(
        Optional.of(new Endpoint.Tcp("127.0.0.1", 9102, true)), settings.prometheusEndpoint());
  }

  @Test
  void load_errorMessages_areOneLine() {
    String message = error("pekko-spiped.pipes.web { mode = ${missing} }");

    assertFalse(message.contains("\n"), message);
  }

  // ---- spipe ----

  @Test
  void spipeOptions_defaultsFromPipeDefaults() {
    SpipeOptions options =
        SpipeOptions.load(
            ConfigFactory.parseString(
                    "pekko-spiped.spipe { target = \"[127.0.0.1]:8025\", key-file = \""
                        + keyFile
                        + "\" }")
                .withFallback(ConfigFactory.defaultReference()));

    assertEquals(new Endpoint.Tcp("127.0.0.1", 8025, true), options.target());
    assertEquals(ForwardSecrecy.ON, options.forwardSecrecy());
    assertEquals(Duration.ofSeconds(5), options.timeout());
    assertTrue(options.keepAlive());
  }

  @Test
  void spipeOptions_missingTarget_refused() {
    SettingsException e =
        assertThrows(
            SettingsException.class, () -> SpipeOptions.load(ConfigFactory.defaultReference()));
    assertEquals("spipe: target: missing", e.getMessage());
  }

  // ---- helpers ----

  /** The pipe "web": decrypt [127.0.0.1]:8025 to [127.0.0.1]:8080, then {@code lines}. */
  private String web(String... lines) {
    return pipe("web", lines);
  }

  private String pipe(String name, String... lines) {
    StringBuilder hocon = new StringBuilder("pekko-spiped.pipes.").append(name).append(" {\n");
    hocon.append("mode = decrypt\n");
    hocon.append("source = \"[127.0.0.1]:8025\"\n");
    hocon.append("target = \"[127.0.0.1]:8080\"\n");
    hocon.append("key-file = \"").append(keyFile).append("\"\n");
    for (String line : lines) {
      hocon.append(line).append('\n');
    }
    return hocon.append("}\n").toString();
  }

  private static SpipedSettings load(String hocon) {
    return SpipedSettings.load(
        ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()));
  }

  private static String error(String hocon) {
    return assertThrows(SettingsException.class, () -> load(hocon)).getMessage();
  }

  private static PipeSettings onlyPipe(SpipedSettings settings) {
    assertEquals(1, settings.pipes().size());
    return settings.pipes().get(0);
  }
}
