package org.pekkospiped.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pekkospiped.config.IoReason;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pekko-spiped keygen FILE}: a new key file of 256 random bits, readable by its owner only,
 * as {@code dd if=/dev/urandom bs=32 count=1} does for spiped.
 */
@Command(
    separator = " ",
    name = "keygen",
    description = "Write a new key file: 32 random bytes, mode 0600. Never overwrites.")
final class KeygenCommand implements Callable<Integer> {
  /** 256 bits, the entropy spiped's documentation asks of a key. */
  static final int KEY_BYTES = 32;

  private static final Set<StandardOpenOption> CREATE_NEW_FOR_WRITING =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  @Parameters(paramLabel = "FILE", description = "The key file to create.")
  Path file;

  @Option(names = "--help", usageHelp = true, description = "Print this help and exit.")
  boolean helpRequested;

  @Override
  public Integer call() {
    createKeyFile(file);
    return Main.EXIT_OK;
  }

  /** Writes a new key to file, which must not exist yet. */
  static void createKeyFile(Path file) {
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    try {
      write(file, key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Creates the file with its final mode in one step, so the key is never readable by others. */
  private static void write(Path file, byte[] key) {
    SeekableByteChannel channel = create(file);
    try (channel) {
      ByteBuffer buffer = ByteBuffer.wrap(key);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    } catch (IOException e) {
      deletePartial(file);
      throw new UsageException("cannot write " + file + " (" + IoReason.of(e) + ")");
    }
  }

  private static SeekableByteChannel create(Path file) {
    try {
      return Files.newByteChannel(file, CREATE_NEW_FOR_WRITING, OWNER_ONLY);
    } catch (FileAlreadyExistsException e) {
      throw new UsageException(file + " already exists; a key file is never overwritten");
    } catch (IOException e) {
      throw new UsageException("cannot create " + file + " (" + IoReason.of(e) + ")");
    }
  }

  private static void deletePartial(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // The write error is what gets reported; a leftover file shows in the next keygen.
    }
  }
}
