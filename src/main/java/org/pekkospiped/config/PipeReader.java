package org.pekkospiped.config;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.ProtocolKey;

/** Reads one pipe block (already backed by pipe-defaults) into {@link PipeSettings}. */
final class PipeReader {
  /** The settings a pipe must give itself: pipe-defaults has no value for them. */
  static final List<String> REQUIRED_KEYS = List.of("mode", "source", "target", "key-file");

  /**
   * Pekko's scheduler, which times handshakes and connects, takes no delay past about 248 days:
   * a longer timeout would fail every connection at its start, so it is refused here. Below a
   * millisecond no handshake could finish.
   */
  private static final Duration LONGEST_TIMEOUT = Duration.ofSeconds(21_474_835);

  private static final Duration SHORTEST_TIMEOUT = Duration.ofMillis(1);

  private PipeReader() {}

  /**
   * Reads the pipe, loading its key files last so that a mistake elsewhere in the block is reported
   * before anything is read from a file or from standard input.
   *
   * @param keyCache keys already read during this load, by file name: "-" (standard input) can only
   *     be read once, and several pipes may share one key file
   */
  static PipeSettings read(String name, SettingReader reader, Map<String, ProtocolKey> keyCache) {
    checkRequired(reader);

    Mode mode = mode(reader);
    Endpoint source = reader.endpoint("source");
    Endpoint target = target(reader);
    ForwardSecrecy forwardSecrecy = forwardSecrecy(reader);
    Duration timeout = timeout(reader);
    int maxConnections = reader.wholeNumber("max-connections", 0, "negative (0 means no limit)");
    boolean keepAlive = reader.onOff("keepalive");
    Optional<Duration> reResolveInterval = reader.durationOrOff("re-resolve-interval");
    Optional<Endpoint> bindAddress = bindAddress(reader, target);
    boolean waitForDns = reader.onOff("wait-for-dns");
    List<ProtocolKey> keys = keys(reader, keyCache);

    return new PipeSettings(
        name,
        mode,
        source,
        target,
        keys,
        forwardSecrecy,
        timeout,
        maxConnections,
        keepAlive,
        reResolveInterval,
        bindAddress,
        waitForDns);
  }

  private static Duration timeout(SettingReader reader) {
    Duration timeout = reader.duration("timeout", false);
    if (timeout.compareTo(SHORTEST_TIMEOUT) < 0) {
      throw reader.fail("timeout", reader.string("timeout") + " is less than 1ms");
    }
    if (timeout.compareTo(LONGEST_TIMEOUT) > 0) {
      throw reader.fail("timeout", reader.string("timeout") + " is more than 248 days");
    }
    return timeout;
  }

  private static void checkRequired(SettingReader reader) {
    for (String key : REQUIRED_KEYS) {
      if (!reader.has(key)) {
        throw reader.fail(key, "missing (every pipe sets mode, source, target and key-file)");
      }
    }
  }

  static Mode mode(SettingReader reader) {
    String mode = reader.string("mode");
    switch (mode.toLowerCase(Locale.ROOT)) {
      case "encrypt":
        return Mode.ENCRYPT;
      case "decrypt":
        return Mode.DECRYPT;
      default:
        throw reader.fail("mode", "unknown mode '" + mode + "' (expected encrypt or decrypt)");
    }
  }

  /** A target is connected to, so it needs a real port. */
  static Endpoint target(SettingReader reader) {
    Endpoint target = reader.endpoint("target");
    if (target instanceof Endpoint.Tcp tcp && tcp.port() == 0) {
      throw reader.fail("target", "'" + tcp + "': port 0 cannot be connected to");
    }
    return target;
  }

  static ForwardSecrecy forwardSecrecy(SettingReader reader) {
    String value = reader.string("forward-secrecy");
    switch (value.toLowerCase(Locale.ROOT)) {
      case "on":
        return ForwardSecrecy.ON;
      case "off":
        return ForwardSecrecy.OFF;
      case "required":
        return ForwardSecrecy.REQUIRED;
      default:
        throw reader.fail(
            "forward-secrecy", "unknown value '" + value + "' (expected on, off or required)");
    }
  }

  private static Optional<Endpoint> bindAddress(SettingReader reader, Endpoint target) {
    Optional<Endpoint> bindAddress = reader.bindAddress("bind-address");
    if (bindAddress.isPresent() && target instanceof Endpoint.Unix) {
      throw reader.fail(
          "bind-address", "cannot apply to the Unix socket target " + target + " (set it to \"\")");
    }
    return bindAddress;
  }

  /** Reads every file named by key-file; K = SHA-256 of the whole file, as spiped. */
  static List<ProtocolKey> keys(SettingReader reader, Map<String, ProtocolKey> keyCache) {
    List<ProtocolKey> keys = new ArrayList<>();
    for (String fileName : reader.stringOrList("key-file")) {
      keys.add(key(reader, fileName, keyCache));
    }
    return keys;
  }

  private static ProtocolKey key(
      SettingReader reader, String fileName, Map<String, ProtocolKey> keyCache) {
    if (fileName.isEmpty()) {
      throw reader.fail("key-file", "empty file name");
    }

    ProtocolKey cached = keyCache.get(fileName);
    if (cached != null) {
      return cached;
    }
    try {
      ProtocolKey key = ProtocolKey.read(fileName);
      keyCache.put(fileName, key);
      return key;
    } catch (IOException e) {
      // A relative name is taken from the working directory, which the error must show.
      String what =
          fileName.equals("-") ? "standard input" : Path.of(fileName).toAbsolutePath().toString();
      throw reader.fail("key-file", "cannot read " + what + " (" + IoReason.of(e) + ")");
    }
  }
}
