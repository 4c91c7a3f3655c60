package org.pekkospiped.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads single settings from one block of HOCON and turns every way a value can be wrong into a
 * one-line {@link SettingsException} that starts with where the block is: {@code "pipe 'web': "} or
 * {@code "pekko-spiped."}. Typesafe Config's own messages name the origin and the whole path in its
 * words; an operator needs the pipe, the key and the problem.
 */
final class SettingReader {
  private static final ConfigRenderOptions CONCISE = ConfigRenderOptions.concise();

  private final String prefix;
  private final Config config;

  SettingReader(String prefix, Config config) {
    this.prefix = prefix;
    this.config = config;
  }

  SettingsException fail(String key, String problem) {
    return new SettingsException(prefix + key + ": " + problem);
  }

  /** A plain value (string, number or boolean) as text. */
  String string(String key) {
    ConfigValue value = value(key);
    if (isCollection(value)) {
      throw fail(key, "expected a string, got " + describe(value));
    }
    return config.getString(key);
  }

  /** One string, or a list of them; the list must not be empty. */
  List<String> stringOrList(String key) {
    ConfigValue value = value(key);
    if (value.valueType() == ConfigValueType.LIST) {
      return stringList(key, value);
    }
    return List.of(string(key));
  }

  /** HOCON's booleans: on/off, true/false, yes/no. */
  boolean onOff(String key) {
    ConfigValue value = value(key);
    try {
      return config.getBoolean(key);
    } catch (ConfigException.WrongType e) {
      throw fail(key, "expected on or off, got " + describe(value));
    }
  }

  /** A whole number of at least {@code min}; {@code rangeNote} says what the bound means. */
  int wholeNumber(String key, int min, String rangeNote) {
    ConfigValue value = value(key);
    Number number;
    try {
      number = config.getNumber(key);
    } catch (ConfigException.WrongType e) {
      throw fail(key, "expected a whole number, got " + describe(value));
    }

    double asDouble = number.doubleValue();
    if (asDouble != Math.rint(asDouble) || asDouble > Integer.MAX_VALUE) {
      throw fail(key, "expected a whole number, got " + render(value));
    }
    if (asDouble < min) {
      throw fail(key, render(value) + " is " + rangeNote);
    }
    return number.intValue();
  }

  /** A size in bytes, as 64 KiB or 65536, of at least {@code min}. */
  int bytes(String key, int min) {
    ConfigValue value = value(key);
    long bytes;
    try {
      bytes = config.getBytes(key);
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      throw fail(key, "expected a size such as 64 KiB, got " + render(value));
    }
    if (bytes < min || bytes > Integer.MAX_VALUE) {
      throw fail(key, render(value) + " must be from " + min + " bytes to 2 GiB");
    }
    return (int) bytes;
  }

  /**
   * A duration with a unit. A bare number is refused: HOCON would read it as milliseconds, while
   * anyone coming from spiped's {@code -o 5} means seconds.
   */
  Duration duration(String key, boolean zeroAllowed) {
    ConfigValue value = value(key);
    Duration duration = parseDuration(key, value);
    if (duration.isNegative() || (!zeroAllowed && duration.isZero())) {
      throw fail(key, render(value) + " must be " + (zeroAllowed ? "0s or more" : "more than 0s"));
    }
    return duration;
  }

  /** A positive duration, or {@code off} for none. */
  Optional<Duration> durationOrOff(String key) {
    ConfigValue value = value(key);
    if (isOff(value)) {
      return Optional.empty();
    }
    return Optional.of(duration(key, false));
  }

  /** An address in spiped's forms, see {@link Endpoint#parse}. */
  Endpoint endpoint(String key) {
    String spec = string(key);
    try {
      return Endpoint.parse(spec);
    } catch (IllegalArgumentException e) {
      throw fail(key, e.getMessage());
    }
  }

  /** A bind address in spiped's {@code -b} forms, or the empty string for none. */
  Optional<Endpoint> bindAddress(String key) {
    String spec = string(key);
    if (spec.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Endpoint.parseBindAddress(spec));
    } catch (IllegalArgumentException e) {
      throw fail(key, e.getMessage());
    }
  }

  boolean has(String key) {
    return config.hasPathOrNull(key) && !config.getIsNull(key);
  }

  private ConfigValue value(String key) {
    if (!has(key)) {
      throw fail(key, "missing");
    }
    return config.getValue(key);
  }

  private List<String> stringList(String key, ConfigValue value) {
    List<String> strings;
    try {
      strings = config.getStringList(key);
    } catch (ConfigException.WrongType e) {
      throw fail(key, "expected a string or a list of strings, got " + describe(value));
    }
    if (strings.isEmpty()) {
      throw fail(key, "the list is empty");
    }
    return strings;
  }

  private Duration parseDuration(String key, ConfigValue value) {
    if (value.valueType() == ConfigValueType.NUMBER) {
      throw fail(
          key, "write a unit, as in 5s (a bare number " + render(value) + " means milliseconds)");
    }
    if (value.valueType() != ConfigValueType.STRING) {
      throw fail(key, "expected a duration such as 5s, got " + describe(value));
    }
    try {
      return config.getDuration(key);
    } catch (ConfigException.BadValue e) {
      throw fail(key, render(value) + " is not a duration (expected a number and a unit, as 5s)");
    }
  }

  private static boolean isOff(ConfigValue value) {
    Object unwrapped = value.unwrapped();
    return Boolean.FALSE.equals(unwrapped)
        || (unwrapped instanceof String s && s.toLowerCase(Locale.ROOT).equals("off"));
  }

  private static boolean isCollection(ConfigValue value) {
    return value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST;
  }

  static String describe(ConfigValue value) {
    return value.valueType().name().toLowerCase(Locale.ROOT) + " " + render(value);
  }

  /** A value as written: strings in single quotes, anything else as concise HOCON. */
  static String render(ConfigValue value) {
    if (value.valueType() == ConfigValueType.STRING) {
      return "'" + value.unwrapped() + "'";
    }
    return value.render(CONCISE);
  }
}
