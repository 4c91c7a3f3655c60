package org.pekkospiped.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.pekkospiped.protocol.HandshakeFailure;

/**
 * The meters of one pipe, each tagged {@code pipe=<name>}. One instance lives as long as the
 * daemon, across restarts of the pipe, so that counts and the active gauge cover every
 * connection the pipe ever accepted.
 *
 * <p>Every method is cheap and thread-safe; the byte counts are called once per chunk of data,
 * so they only add to a {@link LongAdder} that the registry reads when it publishes.
 */
public final class PipeMetrics {
  /** Meter names, as Micrometer spells them (Prometheus: dots become underscores). */
  public static final String ACCEPTED = "spiped.connections.accepted";

  public static final String ACTIVE = "spiped.connections.active";
  public static final String LIMIT = "spiped.connections.limit";
  public static final String LIMIT_REACHED = "spiped.connections.limit.reached";
  public static final String HANDSHAKES_FAILED = "spiped.handshakes.failed";
  public static final String TARGET_CONNECT_FAILURES = "spiped.target.connect.failures";
  public static final String DROPPED = "spiped.connections.dropped";
  public static final String PLAINTEXT_BYTES = "spiped.plaintext.bytes";

  /** Why a connection ended in error, when it was neither a handshake nor a target failure. */
  public enum Drop {
    /** A packet failed its MAC or carried a length outside 1..1024. */
    BAD_PACKET,

    /** EOF arrived in the middle of a packet. */
    TRUNCATED_PACKET,

    /** A socket failed: reset by the peer, broken pipe, or another I/O error. */
    SOCKET_ERROR,

    /** The daemon stopped while the connection was open. */
    SHUTDOWN,

    /** Anything else: a fault of ours, logged with its stack trace. */
    OTHER;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final String pipe;
  private final AtomicInteger active = new AtomicInteger();
  private final LongAdder sourceToTarget = new LongAdder();
  private final LongAdder targetToSource = new LongAdder();
  private final Counter accepted;
  private final Counter limitReached;
  private final Counter targetConnectFailures;
  private final Map<HandshakeFailure, Counter> handshakeFailures =
      new EnumMap<>(HandshakeFailure.class);
  private final Map<Drop, Counter> drops = new EnumMap<>(Drop.class);

  /**
   * Registers every meter of the pipe at once, so that each shows 0 before its first event.
   *
   * @param maxConnections the pipe's max-connections, 0 for none, published as a gauge
   */
  public PipeMetrics(MeterRegistry registry, String pipe, int maxConnections) {
    this.pipe = pipe;
    Tags tags = Tags.of("pipe", pipe);

    accepted =
        Counter.builder(ACCEPTED)
            .description("Connections accepted on the pipe's source")
            .tags(tags)
            .register(registry);
    Gauge.builder(ACTIVE, active, AtomicInteger::get)
        .description("Connections open now, from accept until both sockets are closed")
        .tags(tags)
        .register(registry);
    Gauge.builder(LIMIT, () -> maxConnections)
        .description("The pipe's max-connections; 0 means no limit")
        .tags(tags)
        .register(registry);
    limitReached =
        Counter.builder(LIMIT_REACHED)
            .description(
                "Times the open connections reached max-connections, so that the pipe stopped"
                    + " accepting and new connections waited in the listen backlog")
            .tags(tags)
            .register(registry);
    targetConnectFailures =
        Counter.builder(TARGET_CONNECT_FAILURES)
            .description("Connections dropped because the target could not be connected to")
            .tags(tags)
            .register(registry);
    registerHandshakeFailures(registry, tags);
    registerDrops(registry, tags);
    registerBytes(registry, tags);
  }

  /** The pipe these meters belong to. */
  public String pipe() {
    return pipe;
  }

  public void connectionAccepted() {
    accepted.increment();
    active.incrementAndGet();
  }

  public void connectionClosed() {
    active.decrementAndGet();
  }

  /** Connections open now. */
  public int active() {
    return active.get();
  }

  public void limitReached() {
    limitReached.increment();
  }

  public void handshakeFailed(HandshakeFailure reason) {
    handshakeFailures.get(reason).increment();
  }

  public void targetConnectFailed() {
    targetConnectFailures.increment();
  }

  public void dropped(Drop reason) {
    drops.get(reason).increment();
  }

  /** Plaintext on its way from source to target: read (encrypt) or opened (decrypt). */
  public void sourceToTarget(int bytes) {
    sourceToTarget.add(bytes);
  }

  /** Plaintext on its way from target to source: opened (encrypt) or read (decrypt). */
  public void targetToSource(int bytes) {
    targetToSource.add(bytes);
  }

  private void registerHandshakeFailures(MeterRegistry registry, Tags tags) {
    for (HandshakeFailure reason : HandshakeFailure.values()) {
      handshakeFailures.put(
          reason,
          Counter.builder(HANDSHAKES_FAILED)
              .description("Handshakes that failed, by reason")
              .tags(tags.and("reason", reason.name().toLowerCase(Locale.ROOT)))
              .register(registry));
    }
  }

  private void registerDrops(MeterRegistry registry, Tags tags) {
    for (Drop reason : Drop.values()) {
      drops.put(
          reason,
          Counter.builder(DROPPED)
              .description(
                  "Connections that ended in error other than a failed handshake or target"
                      + " connect, by reason")
              .tags(tags.and("reason", reason.tag()))
              .register(registry));
    }
  }

  /**
   * Plaintext bytes, counted where they enter or leave the protocol stack, so the same counts
   * on both pipes of a pair show the same traffic. Names follow the pipe, not the socket: on an
   * encrypting pipe source_to_target is what its clients sent, on a decrypting one it is what
   * reached the target.
   */
  private void registerBytes(MeterRegistry registry, Tags tags) {
    FunctionCounter.builder(PLAINTEXT_BYTES, sourceToTarget, LongAdder::sum)
        .description("Plaintext bytes carried, by direction")
        .baseUnit("bytes")
        .tags(tags.and("direction", "source_to_target"))
        .register(registry);
    FunctionCounter.builder(PLAINTEXT_BYTES, targetToSource, LongAdder::sum)
        .description("Plaintext bytes carried, by direction")
        .baseUnit("bytes")
        .tags(tags.and("direction", "target_to_source"))
        .register(registry);
  }
}
