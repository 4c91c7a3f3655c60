package org.pekkospiped.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.ProtocolKey;

/**
 * What {@code pekko-spiped spipe} needs: spiped's client end with standard input and output as the
 * plaintext side. Read from {@code pekko-spiped.spipe}, which the command line fills in; the rest
 * comes from {@code pekko-spiped.pipe-defaults}, so spipe and spiped share their defaults.
 *
 * @param target where to connect ({@code -t})
 * @param key the key from the one key file ({@code -k})
 * @param forwardSecrecy on, off ({@code -f}) or required ({@code -g})
 * @param timeout limit on connecting and on the handshake ({@code -o})
 * @param keepAlive SO_KEEPALIVE; {@code -j} turns it off
 */
public record SpipeOptions(
    Endpoint target,
    ProtocolKey key,
    ForwardSecrecy forwardSecrecy,
    Duration timeout,
    boolean keepAlive) {
  static final String PATH = SpipedSettings.ROOT + ".spipe";

  public SpipeOptions {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(forwardSecrecy, "forwardSecrecy");
    Objects.requireNonNull(timeout, "timeout");
  }

  /**
   * Reads {@code pekko-spiped.spipe} over {@code pekko-spiped.pipe-defaults}.
   *
   * @param config the whole configuration, with reference.conf already as its fallback
   * @throws SettingsException naming the setting and what is wrong with it
   */
  public static SpipeOptions load(Config config) throws SettingsException {
    Config spipe;
    try {
      Config resolved = config.resolve();
      Config defaults = resolved.getConfig(SpipedSettings.ROOT + ".pipe-defaults");
      spipe = resolved.hasPath(PATH) ? resolved.getConfig(PATH).withFallback(defaults) : defaults;
    } catch (ConfigException e) {
      throw new SettingsException(SpipedSettings.oneLine(e.getMessage()));
    }

    SettingReader reader = new SettingReader("spipe: ", spipe);
    Endpoint target = PipeReader.target(reader);
    ForwardSecrecy forwardSecrecy = PipeReader.forwardSecrecy(reader);
    Duration timeout = reader.duration("timeout", false);
    boolean keepAlive = reader.onOff("keepalive");
    List<ProtocolKey> keys = PipeReader.keys(reader, new HashMap<>());
    if (keys.size() != 1) {
      throw reader.fail("key-file", "spipe takes one key file, got " + keys.size());
    }
    return new SpipeOptions(target, keys.get(0), forwardSecrecy, timeout, keepAlive);
  }

  /** Everything but the key: this may go into logs. */
  @Override
  public String toString() {
    return String.format(
        "SpipeOptions[target=%s, forwardSecrecy=%s, timeout=%s, keepAlive=%s]",
        target, forwardSecrecy, timeout, keepAlive);
  }
}
