package org.pekkospiped.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * pekko-spiped as its own process, the way a user runs the jar: the same main class, started in
 * a child JVM on the test class path (the jar itself is only built after the tests).
 */
public final class OurProcess {
  private static final String MAIN = "org.pekkospiped.cli.Main";

  private OurProcess() {}

  /** The command line that runs pekko-spiped with these arguments, as {@code java -jar} would. */
  public static List<String> command(String... arguments) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());

    // Small and quick to start: these processes carry test traffic, not production load.
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(MAIN);

    command.addAll(List.of(arguments));
    return command;
  }

  /** Starts pekko-spiped with these arguments, feeding it stdin and then EOF. */
  public static ExternalProcess start(byte[] stdin, String... arguments) {
    return ExternalProcess.start(command(arguments), stdin);
  }
}
