package org.pekkospiped.pipe;

import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.metrics.PipeMetrics;
import org.pekkospiped.protocol.ProtocolKey;

/** Starting an in-process daemon for a test, and reading its meters. */
final class TestDaemon implements AutoCloseable {
  private final Daemon daemon;

  private TestDaemon(Daemon daemon) {
    this.daemon = daemon;
  }

  /** Starts a daemon from HOCON under pekko-spiped, with reference.conf behind it. */
  static TestDaemon start(String hocon) {
    SpipedSettings settings =
        SpipedSettings.load(
            ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve());
    return new TestDaemon(Daemon.start(settings));
  }

  /** As start, and waits until every pipe is listening. */
  static TestDaemon startListening(String hocon) throws Exception {
    TestDaemon started = start(hocon);
    started.daemon.listening().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return started;
  }

  Daemon daemon() {
    return daemon;
  }

  MeterRegistry registry() {
    return daemon.metrics().registry();
  }

  /** A counter of one pipe, with more tags as name, value pairs. */
  double count(String meter, String pipe, String... tags) {
    Search search = registry().find(meter).tag("pipe", pipe);
    for (int i = 0; i < tags.length; i += 2) {
      search = search.tag(tags[i], tags[i + 1]);
    }
    if (search.counter() != null) {
      return search.counter().count();
    }
    if (search.functionCounter() != null) {
      return search.functionCounter().count();
    }
    return search.gauge().value();
  }

  double active(String pipe) {
    return count(PipeMetrics.ACTIVE, pipe);
  }

  @Override
  public void close() {
    daemon.close();
  }

  // ---- small things every test of a running pipe needs ----

  /** A free port on 127.0.0.1, for a pipe's source: a test must know it before the pipe binds. */
  static int freePort() {
    return org.pekkospiped.it.Ports.freeTcpPort();
  }

  static InetSocketAddress local(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }

  /** Writes 32 random bytes to a key file in dir and returns the key they make. */
  static ProtocolKey writeKey(Path file) throws IOException {
    byte[] contents = new byte[32];
    new SecureRandom().nextBytes(contents);
    Files.write(file, contents);
    return ProtocolKey.ofFileContents(contents);
  }

  /**
   * Polls condition until it holds, for things that happen after the event a test can wait on
   * (a counter is bumped just after a socket closes).
   */
  static void await(Duration limit, BooleanSupplier condition, Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit + ": " + what.get());
      }
      Thread.sleep(10);
    }
  }
}
