package org.pekkospiped.protocol;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Random;

/**
 * A quick cross-check of the JMH figures that counts this thread's CPU time instead of wall time,
 * so that it still means something on a machine shared with other work: a thread that waits for
 * a core is not charged for the wait. Prints nanoseconds of CPU per operation.
 *
 * <pre>java -cp target/benchmarks.jar org.pekkospiped.protocol.CpuTimeCheck</pre>
 */
public final class CpuTimeCheck {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private CpuTimeCheck() {}

  public static void main(String[] args) throws Exception {
    byte[] derived = new byte[SessionKeys.DERIVED_SIZE];
    new Random(1).nextBytes(derived);
    byte[] plaintext = new byte[Wire.MAX_PAYLOAD];
    byte[] packet = new byte[Wire.PACKET_SIZE];
    byte[] opened = new byte[Wire.MAX_PAYLOAD];
    PacketSealer sealer = new SessionKeys(derived, true).sealer();
    PacketSealer pairedSealer = new SessionKeys(derived, true).sealer();
    PacketOpener opener = new SessionKeys(derived, false).opener();

    for (int round = 0; round < 3; round++) {
      report("seal 1024", 200_000, () -> sealer.seal(plaintext, 0, 1024, packet, 0));
      report(
          "seal+open 1024",
          100_000,
          () -> {
            pairedSealer.seal(plaintext, 0, 1024, packet, 0);
            try {
              opener.open(packet, 0, opened, 0);
            } catch (PacketException e) {
              throw new IllegalStateException(e);
            }
          });
      report("pbkdf2 128 bytes", 20_000, () -> Primitives.pbkdf2Sha256(derived, plaintext, 128));

      SecureRandom random = new SecureRandom();
      DhGroup14.prepare(); // as a daemon does when a pipe starts
      BigInteger x = DhGroup14.randomExponent(random);
      BigInteger peer = DhGroup14.publicValue(DhGroup14.randomExponent(random));
      report("modPow 2^x", 1_000, () -> BigInteger.TWO.modPow(x, DhGroup14.PRIME));
      report("DhGroup14.publicValue", 1_000, () -> DhGroup14.publicValue(x));
      report(
          "2^x table build",
          5,
          () -> new FixedBaseExponentiation(BigInteger.TWO, DhGroup14.PRIME, 259));
      report("DhGroup14.sharedValue", 1_000, () -> DhGroup14.sharedValue(peer, x));
      System.out.println();
    }
  }

  private static void report(String name, int count, Runnable operation) {
    long start = THREADS.getCurrentThreadCpuTime();
    for (int i = 0; i < count; i++) {
      operation.run();
    }
    long perOp = (THREADS.getCurrentThreadCpuTime() - start) / count;
    String rate = name.contains("1024") ? String.format(" (%.0f MB/s of payload)", 1024e3 / perOp) : "";
    System.out.printf("%-24s %,10d ns CPU/op%s%n", name, perOp, rate);
  }
}
