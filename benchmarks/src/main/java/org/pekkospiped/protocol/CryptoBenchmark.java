package org.pekkospiped.protocol;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The building blocks of one packet, each on its own, to see where a packet's time goes and which
 * way of driving the JDK's AES is cheapest: a CTR cipher re-initialised per packet (what spiped's
 * per-packet counter block asks for) against one ECB cipher keyed once, encrypting the packet's
 * 65 counter blocks and XORing them in.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CryptoBenchmark {

  private static final int BLOCKS = (Wire.PADDED_SIZE + 15) / 16;

  private final byte[] padded = new byte[Wire.PADDED_SIZE];
  private final byte[] out = new byte[BLOCKS * 16];
  private final byte[] counters = new byte[BLOCKS * 16];
  private final byte[] keystream = new byte[BLOCKS * 16];
  private final byte[] counterBlock = new byte[16];
  private final byte[] tag = new byte[Wire.MAC_SIZE];
  private SecretKeySpec aesKey;
  private Cipher ctr;
  private Cipher ecb;
  private Mac hmac;
  private long packetNumber;

  @Setup
  public void setUp() throws Exception {
    byte[] key = new byte[32];
    new Random(1).nextBytes(key);
    new Random(2).nextBytes(padded);
    aesKey = new SecretKeySpec(key, "AES");
    ctr = Cipher.getInstance("AES/CTR/NoPadding");
    ecb = Cipher.getInstance("AES/ECB/NoPadding");
    ecb.init(Cipher.ENCRYPT_MODE, aesKey);
    hmac = Mac.getInstance("HmacSHA256");
    hmac.init(new SecretKeySpec(key, "HmacSHA256"));
  }

  /** AES-256-CTR over 1028 bytes after Cipher.init with the packet's counter block. */
  @Benchmark
  public byte[] ctrInitPerPacket() throws Exception {
    PacketCrypto.writeUint64(packetNumber++, counterBlock, 0);
    ctr.init(Cipher.ENCRYPT_MODE, aesKey, new IvParameterSpec(counterBlock));
    ctr.doFinal(padded, 0, Wire.PADDED_SIZE, out, 0);
    return out;
  }

  /** Cipher.init alone: what re-keying per packet costs. */
  @Benchmark
  public Cipher ctrInitOnly() throws Exception {
    PacketCrypto.writeUint64(packetNumber++, counterBlock, 0);
    ctr.init(Cipher.ENCRYPT_MODE, aesKey, new IvParameterSpec(counterBlock));
    return ctr;
  }

  /** The same keystream from 65 counter blocks through an ECB cipher keyed once, then XOR. */
  @Benchmark
  public byte[] ecbCountersXor() throws Exception {
    long number = packetNumber++;
    for (int i = 0; i < BLOCKS; i++) {
      PacketCrypto.writeUint64(number, counters, i * 16);
      PacketCrypto.writeUint64(i, counters, i * 16 + 8);
    }
    ecb.doFinal(counters, 0, counters.length, keystream, 0);
    for (int i = 0; i < Wire.PADDED_SIZE; i++) {
      out[i] = (byte) (padded[i] ^ keystream[i]);
    }
    return out;
  }

  /** HMAC-SHA256 over 1028 bytes of ciphertext and the 8-byte packet number. */
  @Benchmark
  public byte[] hmacPacket() throws Exception {
    hmac.update(padded, 0, Wire.PADDED_SIZE);
    hmac.update(counterBlock, 0, 8);
    hmac.doFinal(tag, 0);
    return tag;
  }

  /** PBKDF2-HMAC-SHA256, one iteration, 128 bytes out: the handshake's key derivation. */
  @Benchmark
  public byte[] pbkdf2SessionKeys() {
    return Primitives.pbkdf2Sha256(padded, counters, SessionKeys.DERIVED_SIZE);
  }

  /** One 2048-bit exponentiation with spiped's 259-bit exponent, generator 2 (y = 2^x mod p). */
  @State(Scope.Thread)
  public static class Dh {
    BigInteger exponent;
    BigInteger peerValue;
    BigInteger otherValue;

    @Setup
    public void setUp() {
      SecureRandom random = new SecureRandom();
      DhGroup14.prepare(); // as a daemon does when a pipe starts
      exponent = DhGroup14.randomExponent(random);
      peerValue = BigInteger.TWO.modPow(DhGroup14.randomExponent(random), DhGroup14.PRIME);
      otherValue = BigInteger.TWO.modPow(DhGroup14.randomExponent(random), DhGroup14.PRIME);
    }
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public BigInteger modPowGenerator(Dh dh) {
    return BigInteger.TWO.modPow(dh.exponent, DhGroup14.PRIME);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public BigInteger modPowPeerValue(Dh dh) {
    return dh.peerValue.modPow(dh.exponent, DhGroup14.PRIME);
  }

  /** One modular multiplication the way the fixed-base table does it: Barrett reduction. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public BigInteger barrettMultiply(Dh dh) {
    return DhGroup14.GeneratorPowers.TABLE.multiply(dh.peerValue, dh.otherValue);
  }

  /** The same multiplication reduced by BigInteger.mod, a long division. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public BigInteger multiplyMod(Dh dh) {
    return dh.peerValue.multiply(dh.otherValue).mod(DhGroup14.PRIME);
  }

  /** What a daemon does for the local DH value once prepared: the fixed-base table, not modPow. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public BigInteger publicValue(Dh dh) {
    return DhGroup14.publicValue(dh.exponent);
  }

  /** What the protocol code does for the shared value, whatever its implementation. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public BigInteger sharedValue(Dh dh) {
    return DhGroup14.sharedValue(dh.peerValue, dh.exponent);
  }
}
