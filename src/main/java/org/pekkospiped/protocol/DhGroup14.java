package org.pekkospiped.protocol;

import java.math.BigInteger;
import java.security.SecureRandom;

/** Diffie-Hellman in the 2048-bit MODP group 14 of RFC 3526, with generator 2. */
final class DhGroup14 {

  /** p = 2^2048 - 2^1984 - 1 + 2^64 * ( [2^1918 pi] + 124476 ), as printed in RFC 3526. */
  static final BigInteger PRIME =
      new BigInteger(
          "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
              + "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
              + "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
              + "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
              + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
              + "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
              + "83655D23DCA3AD961C62F356208552BB9ED529077096966D"
              + "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
              + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"
              + "DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
              + "15728E5A8AACAA68FFFFFFFFFFFFFFFF",
          16);

  private static final BigInteger GENERATOR = BigInteger.TWO;

  /**
   * spiped's exponents are 2^258 + r with r of 256 random bits: every exponent then has the same
   * bit length, 259, so the time an exponentiation takes says little about it.
   */
  private static final int EXPONENT_BITS = 259;

  private static final BigInteger EXPONENT_BASE = BigInteger.ONE.shiftLeft(EXPONENT_BITS - 1);

  private static final int RANDOM_EXPONENT_BYTES = 32;

  /** The value 1 as 256 wire bytes: what a side without forward secrecy sends and shares. */
  private static final byte[] ONE = toWire(BigInteger.ONE);

  private DhGroup14() {}

  static BigInteger randomExponent(SecureRandom random) {
    byte[] r = new byte[RANDOM_EXPONENT_BYTES];
    random.nextBytes(r);
    return EXPONENT_BASE.add(new BigInteger(1, r));
  }

  /**
   * Set once the generator's table is built. A process that prepares it (a daemon, for its many
   * handshakes) gets 2^x in about a third of modPow's time; one that does not (spipe, with one
   * handshake) is spared building it, which would cost it more than the exponentiation.
   */
  private static volatile boolean tablePrepared;

  /** y = 2^x mod p. */
  static BigInteger publicValue(BigInteger exponent) {
    if (tablePrepared) {
      return GeneratorPowers.TABLE.power(exponent);
    }
    return GENERATOR.modPow(exponent, PRIME);
  }

  /**
   * y_peer^x mod p. The base changes with every peer, so no table pays off, and the JDK's modPow,
   * whose Montgomery steps are CPU intrinsics at about 1.4 us each, beats any exponentiation made
   * of the 4.5 us Barrett steps the table uses.
   */
  static BigInteger sharedValue(BigInteger peerValue, BigInteger exponent) {
    return peerValue.modPow(exponent, PRIME);
  }

  /** Builds the generator's table, if not yet built, and computes 2^x from it from then on. */
  static void prepare() {
    GeneratorPowers.TABLE.exponentBits();
    tablePrepared = true;
  }

  static boolean isBelowPrime(BigInteger value) {
    return value.compareTo(PRIME) < 0;
  }

  static boolean isOne(BigInteger value) {
    return value.equals(BigInteger.ONE);
  }

  static byte[] one() {
    return ONE.clone();
  }

  /** Big-endian, left-padded with zeros to exactly 256 bytes. */
  static byte[] toWire(BigInteger value) {
    if (value.signum() < 0 || value.bitLength() > Wire.DH_VALUE_SIZE * 8) {
      throw new IllegalArgumentException("DH value outside 0 .. 2^2048 - 1");
    }

    // toByteArray adds a leading zero byte whenever the top bit is set; the range check above
    // makes that byte the only one beyond 256.
    byte[] minimal = value.toByteArray();
    int skip = Math.max(0, minimal.length - Wire.DH_VALUE_SIZE);
    int length = minimal.length - skip;

    byte[] wire = new byte[Wire.DH_VALUE_SIZE];
    System.arraycopy(minimal, skip, wire, Wire.DH_VALUE_SIZE - length, length);
    return wire;
  }

  static BigInteger fromWire(byte[] wire, int offset) {
    return new BigInteger(1, wire, offset, Wire.DH_VALUE_SIZE);
  }

  /**
   * The generator's powers for exponents of up to 264 bits (259 in whole bytes): about 2.5 MiB,
   * built in 30-45 ms of CPU (0.1 s in a cold JVM) by {@link #prepare}. The JVM initialises a
   * holder class once, and any other thread that needs it meanwhile waits for it.
   */
  static final class GeneratorPowers {
    static final FixedBaseExponentiation TABLE =
        new FixedBaseExponentiation(GENERATOR, PRIME, EXPONENT_BITS);

    private GeneratorPowers() {}
  }
}
