package org.pekkospiped.it;

import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.pipe.Daemon;

/** One end of ours, in this JVM: a daemon running a single pipe described by spiped's flags. */
final class OurEnd implements AutoCloseable {
  private final Daemon daemon;
  private final String description;

  private OurEnd(Daemon daemon, String description) {
    this.daemon = daemon;
    this.description = description;
  }

  /**
   * Starts a pipe and returns once it listens.
   *
   * @param mode "encrypt" or "decrypt"
   * @param flags spiped flags among -f, -g, -n N, -o SECS
   */
  static OurEnd start(
      String mode, InetSocketAddress source, InetSocketAddress target, Path key, List<String> flags)
      throws Exception {
    return start(mode, source, target, key, flags, "");
  }

  /** As above, with daemon-wide settings in HOCON, such as {@code pekko-spiped.stream}. */
  static OurEnd start(
      String mode,
      InetSocketAddress source,
      InetSocketAddress target,
      Path key,
      List<String> flags,
      String daemonSettings)
      throws Exception {
    StringBuilder pipe = new StringBuilder();
    pipe.append("mode = ").append(mode).append('\n');
    pipe.append("source = \"").append(Ports.spipedSyntax(source)).append("\"\n");
    pipe.append("target = \"").append(Ports.spipedSyntax(target)).append("\"\n");
    pipe.append("key-file = \"").append(key).append("\"\n");
    appendFlags(pipe, flags.iterator());

    String hocon = daemonSettings + "\npekko-spiped.pipes.end {\n" + pipe + "}\n";
    SpipedSettings settings =
        SpipedSettings.load(ConfigFactory.load(ConfigFactory.parseString(hocon)));
    Daemon daemon = Daemon.start(settings);
    try {
      daemon.listening().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      daemon.close();
      throw e;
    }
    return new OurEnd(daemon, "pekko-spiped " + hocon.replace('\n', ' '));
  }

  private static void appendFlags(StringBuilder pipe, Iterator<String> flags) {
    while (flags.hasNext()) {
      String flag = flags.next();
      switch (flag) {
        case "-f" -> pipe.append("forward-secrecy = off\n");
        case "-g" -> pipe.append("forward-secrecy = required\n");
        case "-n" -> pipe.append("max-connections = ").append(flags.next()).append('\n');
        case "-o" ->
            pipe.append("timeout = ")
                .append(Duration.ofSeconds(Long.parseLong(flags.next())).toMillis())
                .append("ms\n");
        default -> throw new IllegalArgumentException("no mapping for spiped flag " + flag);
      }
    }
  }

  @Override
  public void close() {
    daemon.close();
  }

  @Override
  public String toString() {
    return description;
  }
}
