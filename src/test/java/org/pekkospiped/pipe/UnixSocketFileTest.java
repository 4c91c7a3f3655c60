package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pekkospiped.pipe.UnixTesting.awaitListening;
import static org.pekkospiped.pipe.UnixTesting.connect;
import static org.pekkospiped.pipe.UnixTesting.exchange;
import static org.pekkospiped.pipe.UnixTesting.keyFile;
import static org.pekkospiped.pipe.UnixTesting.leaveStaleSocket;
import static org.pekkospiped.pipe.UnixTesting.listen;
import static org.pekkospiped.pipe.UnixTesting.pipe;
import static org.pekkospiped.pipe.UnixTesting.startDaemon;

import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pekkospiped.pipe.UnixTesting.LogCapture;
import org.pekkospiped.pipe.UnixTesting.TargetServer;
import org.pekkospiped.pipe.UnixTesting.TargetServer.Behaviour;

/** What a pipe does with whatever it finds at its Unix source's path, and leaves behind. */
@Timeout(20)
class UnixSocketFileTest {
  private static final Duration LOG_WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  private Path key;

  @BeforeEach
  void writeKey() throws Exception {
    key = keyFile(dir);
  }

  @Test
  void bind_staleSocketFromCrashedRun_replacedAndServes() throws Exception {
    Path source = dir.resolve("in.sock");
    leaveStaleSocket(source);

    try (TargetServer target = new TargetServer(dir.resolve("target.sock"), Behaviour.ECHO);
        Daemon daemon = startPair(source)) {
      awaitListening(daemon);

      byte[] request = "through a replaced socket".getBytes(StandardCharsets.US_ASCII);
      assertArrayEquals(request, exchange(source, request));
    }
  }

  @Test
  void bind_liveSocket_notStolenAndRetriedWhileOtherPipesWork() throws Exception {
    Path busy = dir.resolve("busy.sock");
    Path source = dir.resolve("in.sock");

    try (LogCapture log = new LogCapture();
        ServerSocketChannel owner = listen(busy);
        TargetServer target = new TargetServer(dir.resolve("target.sock"), Behaviour.ECHO);
        Daemon daemon =
            startDaemon(
                pipe("busy", "encrypt", busy.toString(), dir + "/mid.sock", key),
                pipe("enc", "encrypt", source.toString(), dir + "/mid.sock", key),
                pipe("dec", "decrypt", dir + "/mid.sock", dir + "/target.sock", key))) {
      // Two refusals: the pipe was restarted after the first, and tried again.
      log.await(busy + " is in use by a running process", 2, LOG_WAIT);

      byte[] request = "the other pipes go on".getBytes(StandardCharsets.US_ASCII);
      assertArrayEquals(request, exchange(source, request));
      assertFalse(daemon.listening().toCompletableFuture().isDone());
      try (SocketChannel client = connect(busy);
          SocketChannel accepted = owner.accept()) {
        assertNotNull(accepted, "the socket still belongs to its owner");
      }

      // Once its owner is gone, the file is stale and the next retry takes the path.
      owner.close();
      awaitListening(daemon);
      assertArrayEquals(request, exchange(busy, request));
    }
  }

  @Test
  void bind_regularFileAtPath_neverDeleted() throws Exception {
    Path source = dir.resolve("in.sock");
    byte[] content = "not a socket".getBytes(StandardCharsets.US_ASCII);
    Files.write(source, content);

    try (LogCapture log = new LogCapture();
        Daemon daemon = startDaemon(pipe("enc", "encrypt", source.toString(), "/nowhere", key))) {
      log.await(source + " exists and is not a socket", 2, LOG_WAIT);

      assertFalse(daemon.listening().toCompletableFuture().isDone());
    }
    assertArrayEquals(content, Files.readAllBytes(source));
  }

  @Test
  void unbind_removesSocketFile() throws Exception {
    Path source = dir.resolve("in.sock");

    try (Daemon daemon = startDaemon(pipe("enc", "encrypt", source.toString(), "/nowhere", key))) {
      awaitListening(daemon);
      assertTrue(Files.exists(source));
    }

    assertFalse(Files.exists(source));
    assertEquals(1, Files.list(dir).count(), "only the key file is left");
  }

  /** An all-Unix pipe pair from source to target.sock, through mid.sock. */
  private Daemon startPair(Path source) throws Exception {
    return startDaemon(
        pipe("enc", "encrypt", source.toString(), dir + "/mid.sock", key),
        pipe("dec", "decrypt", dir + "/mid.sock", dir + "/target.sock", key));
  }
}
