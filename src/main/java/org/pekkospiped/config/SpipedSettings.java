package org.pekkospiped.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.pekkospiped.protocol.ProtocolKey;

/**
 * Every setting under {@code pekko-spiped}, read and checked at once so that a daemon with a bad
 * configuration never starts. Defaults live in reference.conf only.
 */
public final class SpipedSettings {
  static final String ROOT = "pekko-spiped";

  private final Config config;
  private final List<PipeSettings> pipes;
  private final Duration shutdownTimeout;
  private final Duration restartMinBackoff;
  private final Duration restartMaxBackoff;
  private final StreamSettings stream;
  private final Optional<Endpoint.Tcp> prometheusEndpoint;
  private final Duration logRepeatInterval;

  private SpipedSettings(Config config, List<PipeSettings> pipes, SettingReader root) {
    this.config = config;
    this.pipes = List.copyOf(pipes);
    this.shutdownTimeout = root.duration("shutdown-timeout", true);
    this.restartMinBackoff = root.duration("restart.min-backoff", false);
    this.restartMaxBackoff = root.duration("restart.max-backoff", false);
    this.stream = StreamSettings.load(config);
    this.prometheusEndpoint = prometheusEndpoint(root, "metrics.prometheus-endpoint");
    this.logRepeatInterval = root.duration("logging.repeat-interval", true);
    if (restartMaxBackoff.compareTo(restartMinBackoff) < 0) {
      throw root.fail("restart.max-backoff", "is less than restart.min-backoff");
    }
  }

  /**
   * Reads and validates every pipe under {@code pekko-spiped.pipes} and the daemon-wide settings.
   * Key files are read here, once each, so that a missing key stops the start.
   *
   * @param config the whole configuration, with reference.conf already as its fallback
   * @throws SettingsException naming the pipe, the setting and what is wrong with it
   */
  public static SpipedSettings load(Config config) throws SettingsException {
    Config resolved = resolve(config);
    checkAgainstReference(resolved);

    Config root = resolved.getConfig(ROOT);
    checkNoUnknownSettings(root);
    List<PipeSettings> pipes = readPipes(root);
    return new SpipedSettings(resolved, pipes, new SettingReader(ROOT + ".", root));
  }

  public List<PipeSettings> pipes() {
    return pipes;
  }

  /** The whole configuration, for the actor system. */
  public Config config() {
    return config;
  }

  /** {@code pekko-spiped.shutdown-timeout}: how long to let open connections finish. */
  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  /** {@code pekko-spiped.restart.min-backoff}: first delay before a failed pipe starts again. */
  public Duration restartMinBackoff() {
    return restartMinBackoff;
  }

  /** {@code pekko-spiped.restart.max-backoff}: the longest delay between such restarts. */
  public Duration restartMaxBackoff() {
    return restartMaxBackoff;
  }

  /** {@code pekko-spiped.stream}: how connections move their bytes. */
  public StreamSettings stream() {
    return stream;
  }

  /** {@code pekko-spiped.metrics.prometheus-endpoint}: where to serve metrics, if anywhere. */
  public Optional<Endpoint.Tcp> prometheusEndpoint() {
    return prometheusEndpoint;
  }

  /**
   * {@code pekko-spiped.logging.repeat-interval}: the shortest time between two log lines about
   * failed connections of one pipe for one reason; 0 logs every one.
   */
  public Duration logRepeatInterval() {
    return logRepeatInterval;
  }

  private static Config resolve(Config config) {
    try {
      return config.resolve();
    } catch (ConfigException e) {
      throw new SettingsException(oneLine(e.getMessage()));
    }
  }

  /** Types of the daemon-wide settings, against reference.conf, for our root only. */
  private static void checkAgainstReference(Config config) {
    try {
      config.checkValid(ConfigFactory.defaultReference(), ROOT);
    } catch (ConfigException.ValidationFailed e) {
      List<ConfigException.ValidationProblem> problems = new ArrayList<>();
      e.problems().forEach(problems::add);
      ConfigException.ValidationProblem first = problems.get(0);
      String more = problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "";
      throw new SettingsException(first.path() + ": " + problemText(first) + more);
    }
  }

  /**
   * A misspelt key would otherwise be ignored in silence and its default used. Pipes are checked on
   * their own, in {@link #readPipe}.
   */
  private static void checkNoUnknownSettings(Config root) {
    Config reference = ConfigFactory.defaultReference().getConfig(ROOT);
    for (Map.Entry<String, ConfigValue> entry : root.entrySet()) {
      String path = entry.getKey();
      if (!ConfigUtil.splitPath(path).get(0).equals("pipes") && !reference.hasPathOrNull(path)) {
        throw new SettingsException(ROOT + "." + path + ": unknown setting");
      }
    }
  }

  private static List<PipeSettings> readPipes(Config root) {
    ConfigObject pipesObject = root.getObject("pipes");
    if (pipesObject.isEmpty()) {
      throw new SettingsException("no pipes configured under " + ROOT + ".pipes");
    }

    Config defaults = root.getConfig("pipe-defaults");
    Map<String, ProtocolKey> keyCache = new HashMap<>();
    List<PipeSettings> pipes = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> pipe : new TreeMap<>(pipesObject).entrySet()) {
      pipes.add(readPipe(pipe.getKey(), pipe.getValue(), defaults, keyCache));
    }
    checkDistinctSources(pipes);
    return pipes;
  }

  private static PipeSettings readPipe(
      String name, ConfigValue value, Config defaults, Map<String, ProtocolKey> keyCache) {
    String prefix = "pipe '" + name + "': ";
    if (value.valueType() != ConfigValueType.OBJECT) {
      throw new SettingsException(
          prefix
              + "expected an object { mode = ..., source = ... }, got "
              + SettingReader.describe(value));
    }

    ConfigObject pipeObject = (ConfigObject) value;
    checkKnownPipeKeys(prefix, pipeObject.keySet(), defaults);
    SettingReader reader = new SettingReader(prefix, pipeObject.toConfig().withFallback(defaults));
    return PipeReader.read(name, reader, keyCache);
  }

  private static void checkKnownPipeKeys(String prefix, Set<String> keys, Config defaults) {
    for (String key : keys) {
      boolean known =
          PipeReader.REQUIRED_KEYS.contains(key)
              || defaults.hasPathOrNull(ConfigUtil.joinPath(key));
      if (!known) {
        throw new SettingsException(prefix + key + ": unknown setting");
      }
    }
  }

  /** Two pipes cannot listen on one address; say which ones rather than fail at bind time. */
  private static void checkDistinctSources(List<PipeSettings> pipes) {
    Map<Endpoint, String> owners = new HashMap<>();
    for (PipeSettings pipe : pipes) {
      String owner = owners.putIfAbsent(pipe.source(), pipe.name());
      if (owner != null) {
        throw new SettingsException(
            "pipe '"
                + pipe.name()
                + "': source: "
                + pipe.source()
                + " is also the source of pipe '"
                + owner
                + "'");
      }
    }
  }

  /** The endpoint is plain HTTP on a TCP socket; a Unix socket path is refused here, at start. */
  private static Optional<Endpoint.Tcp> prometheusEndpoint(SettingReader reader, String key) {
    if (reader.string(key).isEmpty()) {
      return Optional.empty();
    }
    if (!(reader.endpoint(key) instanceof Endpoint.Tcp tcp)) {
      throw reader.fail(
          key, "'" + reader.string(key) + "' is a Unix socket path; only host:port is supported");
    }
    return Optional.of(tcp);
  }

  /** "Wrong value type at 'a.b', expecting: x" reads "wrong value type, expecting: x". */
  private static String problemText(ConfigException.ValidationProblem problem) {
    String text = oneLine(problem.problem()).replace(" at '" + problem.path() + "'", "");
    return text.isEmpty() ? text : Character.toLowerCase(text.charAt(0)) + text.substring(1);
  }

  static String oneLine(String message) {
    return message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
