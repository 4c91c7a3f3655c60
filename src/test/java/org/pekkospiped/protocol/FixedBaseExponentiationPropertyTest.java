package org.pekkospiped.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** The fixed-base table against BigInteger.modPow: group 14's own table, then any modulus. */
class FixedBaseExponentiationPropertyTest {

  private static final BigInteger PRIME = DhGroup14.PRIME;

  private static final FixedBaseExponentiation GENERATOR_TABLE = DhGroup14.GeneratorPowers.TABLE;

  private static final int TABLE_BITS = GENERATOR_TABLE.exponentBits();

  static {
    // As a daemon's pipe does at start: from here on publicValue goes through the table.
    DhGroup14.prepare();
  }

  @Example
  void generatorTable_coversSpipedExponentsInWholeBytes() {
    assertEquals(264, TABLE_BITS);
  }

  @Property(tries = 200)
  void publicValue_spipedShapedExponent_equalsModPow(@ForAll @Size(32) byte[] random) {
    BigInteger x = BigInteger.ONE.shiftLeft(258).add(new BigInteger(1, random));

    assertEquals(BigInteger.TWO.modPow(x, PRIME), DhGroup14.publicValue(x));
  }

  @Property
  void publicValue_edgeExponent_equalsModPow(@ForAll("edgeExponents") BigInteger x) {
    assertEquals(BigInteger.TWO.modPow(x, PRIME), DhGroup14.publicValue(x));
  }

  @Provide
  Arbitrary<BigInteger> edgeExponents() {
    return Arbitraries.of(
        BigInteger.ZERO,
        BigInteger.ONE,
        BigInteger.valueOf(255),
        BigInteger.valueOf(256),
        BigInteger.ONE.shiftLeft(258),
        allOnes(259),
        allOnes(TABLE_BITS));
  }

  @Property(tries = 100)
  void publicValue_exponentBeyondTable_fallsBackToModPow(@ForAll @Size(max = 64) byte[] random) {
    BigInteger x = BigInteger.ONE.shiftLeft(TABLE_BITS).add(new BigInteger(1, random));

    assertEquals(BigInteger.TWO.modPow(x, PRIME), DhGroup14.publicValue(x));
  }

  @Property(tries = 200)
  void publicValue_negativeExponent_fallsBackToModPow(@ForAll @Size(max = 40) byte[] random) {
    BigInteger x = new BigInteger(1, random).add(BigInteger.ONE).negate();

    assertEquals(BigInteger.TWO.modPow(x, PRIME), DhGroup14.publicValue(x));
  }

  @Property(tries = 500)
  void multiply_operandsBelowPrime_equalsMultiplyMod(
      @ForAll("belowPrime") BigInteger a, @ForAll("belowPrime") BigInteger b) {
    assertEquals(a.multiply(b).mod(PRIME), GENERATOR_TABLE.multiply(a, b));
  }

  @Provide
  Arbitrary<BigInteger> belowPrime() {
    return Arbitraries.bigIntegers().between(BigInteger.ZERO, PRIME.subtract(BigInteger.ONE));
  }

  @Property(tries = 200)
  void power_anyBaseAndModulus_equalsModPow(
      @ForAll @LongRange(min = 0) long base,
      @ForAll @LongRange(min = 2) long modulus,
      @ForAll @LongRange(min = 0) long exponent) {
    BigInteger b = BigInteger.valueOf(base);
    BigInteger m = BigInteger.valueOf(modulus);
    BigInteger x = BigInteger.valueOf(exponent);

    BigInteger power = new FixedBaseExponentiation(b, m, Long.SIZE - 1).power(x);

    assertEquals(b.modPow(x, m), power);
  }

  private static BigInteger allOnes(int bits) {
    return BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
  }
}
