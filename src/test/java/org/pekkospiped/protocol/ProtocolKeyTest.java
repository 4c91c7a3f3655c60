package org.pekkospiped.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pekkospiped.protocol.TestVectors.hex;
import static org.pekkospiped.protocol.TestVectors.hexOf;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProtocolKeyTest {

  @TempDir Path dir;

  @Test
  void read_keyFile_hashesWholeFile() throws Exception {
    Path file = Files.write(dir.resolve("key"), TestVectors.keyFileContents());

    ProtocolKey key = ProtocolKey.read(file.toString());

    assertEquals(hexOf("K"), hex(key.digest()));
  }

  @Test
  void read_dash_hashesStandardInputToEof() throws Exception {
    ByteArrayInputStream stdin = new ByteArrayInputStream(TestVectors.keyFileContents());

    ProtocolKey key = ProtocolKey.read("-", stdin);

    assertEquals(TestVectors.key(), key);
    assertEquals(-1, stdin.read(), "stdin read to EOF");
  }

  @Test
  void read_emptyFile_acceptedAsSpipedDoes() throws Exception {
    Path file = Files.write(dir.resolve("empty"), new byte[0]);

    ProtocolKey key = ProtocolKey.read(file.toString());

    assertEquals(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(key.digest()));
  }

  @Test
  void read_fileLargerThanBuffer_sameAsWholeContents() throws Exception {
    byte[] contents = new byte[100_003];
    new Random(42).nextBytes(contents);
    Path file = Files.write(dir.resolve("large"), contents);

    assertEquals(ProtocolKey.ofFileContents(contents), ProtocolKey.read(file.toString()));
  }

  @Test
  void read_missingFile_throwsTheJdksException() {
    String name = dir.resolve("no-such-key").toString();

    // The config layer words it for the operator (see SpipedSettingsTest).
    assertThrows(java.nio.file.NoSuchFileException.class, () -> ProtocolKey.read(name));
  }

  @Test
  void read_directory_throws() {
    String name = dir.toString();

    IOException e = assertThrows(IOException.class, () -> ProtocolKey.read(name));

    assertTrue(e.getMessage().contains("Is a directory"), e.getMessage());
  }

  @Test
  void equalsAndHashCode_followDigest() {
    ProtocolKey key = TestVectors.key();
    ProtocolKey same = ProtocolKey.ofFileContents(TestVectors.keyFileContents());
    ProtocolKey other = ProtocolKey.ofFileContents(new byte[] {1});

    assertEquals(key, same);
    assertEquals(key.hashCode(), same.hashCode());
    assertNotEquals(key, other);
    assertNotEquals(key, "not a key");
  }

  @Test
  void toString_showsNoKeyBytes() {
    ProtocolKey key = TestVectors.key();
    String k = hexOf("K");

    String shown = key.toString();

    assertEquals("ProtocolKey[redacted]", shown);
    assertFalse(shown.contains(k.substring(0, 8)));
  }
}
