package org.pekkospiped.protocol;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The protocol's primitives. SHA-256, HMAC and AES come from the JDK, whose implementations use CPU
 * intrinsics; only PBKDF2 comes from Bouncy Castle, because the JDK's takes a char[] password and
 * spiped's password is 32 raw bytes. Bouncy Castle's PBKDF2 hashes with the JDK's SHA-256.
 */
final class Primitives {

  static final String HMAC_SHA256 = "HmacSHA256";

  private static final String AES_CTR = "AES/CTR/NoPadding";

  private Primitives() {}

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw missing(e);
    }
  }

  /** An HMAC-SHA256 already keyed; it keeps its key across doFinal calls. */
  static Mac newHmacSha256(byte[] key) {
    try {
      Mac mac = Mac.getInstance(HMAC_SHA256);
      mac.init(new SecretKeySpec(key, HMAC_SHA256));
      return mac;
    } catch (GeneralSecurityException e) {
      throw missing(e);
    }
  }

  static byte[] hmacSha256(byte[] key, byte[] data) {
    return newHmacSha256(key).doFinal(data);
  }

  static Cipher newAesCtr() {
    try {
      return Cipher.getInstance(AES_CTR);
    } catch (GeneralSecurityException e) {
      throw missing(e);
    }
  }

  /** PBKDF2-HMAC-SHA256 with one iteration, as spiped uses it to stretch nothing but mix. */
  static byte[] pbkdf2Sha256(byte[] password, byte[] salt, int outputLength) {
    PKCS5S2ParametersGenerator generator = new PKCS5S2ParametersGenerator(new JdkSha256());
    generator.init(password, salt, 1);
    return ((KeyParameter) generator.generateDerivedParameters(outputLength * 8)).getKey();
  }

  static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }

    byte[] joined = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, joined, at, part.length);
      at += part.length;
    }
    return joined;
  }

  /** Every Java 17 runtime must ship these algorithms, so their absence is a broken JDK. */
  private static IllegalStateException missing(GeneralSecurityException e) {
    return new IllegalStateException("JDK crypto provider unusable: " + e.getMessage(), e);
  }
}
