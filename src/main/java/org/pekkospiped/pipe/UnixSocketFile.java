package org.pekkospiped.pipe;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file a listening Unix socket lives in, which outlives the process that bound it: a run
 * that crashed leaves one behind, and binding fails while it is there.
 *
 * <p>Before binding, a socket file nobody answers on is removed; one that answers belongs to a
 * running process and is left alone, as is anything at the path that is not a socket. After
 * unbinding, the file is removed only if it is still the one we bound.
 */
final class UnixSocketFile {
  private static final Logger log = LoggerFactory.getLogger(UnixSocketFile.class);

  /** The file type bits of st_mode, and their value for a socket (from sys/stat.h). */
  private static final int S_IFMT = 0170000;

  private static final int S_IFSOCK = 0140000;

  private final Path path;
  private final Object fileKey;

  private UnixSocketFile(Path path, Object fileKey) {
    this.path = path;
    this.fileKey = fileKey;
  }

  /**
   * Makes path free for binding: removes a stale socket file there.
   *
   * @throws IOException that says why path cannot be used: a live socket, or not a socket
   */
  static void clearStale(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!isSocket(path)) {
      throw new IOException(path + " exists and is not a socket; it is left alone");
    }
    if (answers(path)) {
      throw new IOException(path + " is in use by a running process");
    }

    Files.deleteIfExists(path);
    log.info("removed stale socket file {}, which nothing was listening on", path);
  }

  /** Remembers which file was just bound at path, so that only it is removed later. */
  static UnixSocketFile bound(Path path) throws IOException {
    return new UnixSocketFile(path, fileKey(path));
  }

  /** Removes the file, unless something else has replaced it since it was bound. */
  void remove() {
    try {
      if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)
          && Objects.equals(fileKey(path), fileKey)) {
        Files.delete(path);
      }
    } catch (NoSuchFileException e) {
      // Already gone: what we wanted.
    } catch (IOException e) {
      log.warn("cannot remove socket file {}: {}", path, e.getMessage());
    }
  }

  private static boolean isSocket(Path path) throws IOException {
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    return (mode & S_IFMT) == S_IFSOCK;
  }

  /**
   * Tries to connect without blocking: refused means nothing listens, so the file is stale.
   * Connected or pending means a listener is there. Any other error is no proof of staleness,
   * so it is thrown.
   */
  private static boolean answers(Path path) throws IOException {
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.configureBlocking(false);
      probe.connect(UnixDomainSocketAddress.of(path));
      return true;
    } catch (ConnectException e) {
      return false;
    }
  }

  /** The device and inode, on Linux: what tells one file at a path from its replacement. */
  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .fileKey();
  }
}
