package org.pekkospiped.protocol;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sealing and opening one full 1060-byte packet (1024 payload bytes) through the public packet
 * API, as PacketStage uses it. Scores are microseconds per packet; MB/s of payload is
 * 1024 / score (see RESULTS.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PacketBenchmark {

  /** Packets opened per invocation of {@link #open}: a new opener is needed for each run. */
  private static final int BATCH = 1024;

  /** Payload bytes per packet: 1024 for bulk transfer, 64 for a small request. */
  @Param({"1024", "64"})
  public int payload;

  private final byte[] plaintext = new byte[Wire.MAX_PAYLOAD];
  private final byte[] packet = new byte[Wire.PACKET_SIZE];
  private final byte[] opened = new byte[Wire.MAX_PAYLOAD];
  private byte[] sealedBatch;
  private SessionKeys serverKeys;
  private PacketSealer sealer;

  @Setup
  public void setUp() {
    byte[] derived = new byte[SessionKeys.DERIVED_SIZE];
    new Random(1).nextBytes(derived);
    new Random(2).nextBytes(plaintext);
    SessionKeys clientKeys = new SessionKeys(derived, true);
    serverKeys = new SessionKeys(derived, false);
    sealer = clientKeys.sealer();

    PacketSealer batchSealer = clientKeys.sealer();
    sealedBatch = new byte[BATCH * Wire.PACKET_SIZE];
    for (int i = 0; i < BATCH; i++) {
      batchSealer.seal(plaintext, 0, payload, sealedBatch, i * Wire.PACKET_SIZE);
    }
  }

  @Benchmark
  public byte[] seal() {
    sealer.seal(plaintext, 0, payload, packet, 0);
    return packet;
  }

  /** Opens packets 0 .. BATCH-1 with a fresh opener; the opener's creation is amortised. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int open() throws PacketException {
    PacketOpener opener = serverKeys.opener();
    int total = 0;
    for (int i = 0; i < BATCH; i++) {
      total += opener.open(sealedBatch, i * Wire.PACKET_SIZE, opened, 0);
    }
    return total;
  }
}
