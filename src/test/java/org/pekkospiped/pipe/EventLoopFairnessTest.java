package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pekkospiped.pipe.TestDaemon.await;
import static org.pekkospiped.pipe.TestDaemon.freePort;
import static org.pekkospiped.pipe.TestDaemon.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections share event loops: one that always has data to move must not keep the others on
 * its loop (and the loop's listening sockets) waiting. Run on a single loop, so that the busy
 * connection and the others are sure to share it.
 *
 * <p>Before loops ran only the tasks already queued in a round, and stages read only a few
 * times in a row, a download held its loop for as long as it ran: here the first round trip
 * then took 1.4 s (its connection waited to be accepted), against a Python client's 8 s. {@link
 * EventLoopTest} shows the loop's part of it without depending on timing.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EventLoopFairnessTest {
  private static final long MIB = 1024 * 1024;

  /** Far above a round trip's fraction of a millisecond, far below the stall this guards. */
  private static final Duration ROUND_TRIP_BOUND = Duration.ofSeconds(2);

  @TempDir Path dir;

  @Test
  void endlessDownload_otherConnectionsOnItsLoop_stillServed() throws Exception {
    TestDaemon.writeKey(dir.resolve("pair.key"));
    InetSocketAddress floodEntry = local(freePort());
    int floodMiddle = freePort();
    InetSocketAddress echoEntry = local(freePort());

    // The download's encrypting end runs in a daemon of its own, on loops of its own, so that
    // on the loop under test the busy connection is never held up by its reader.
    try (FloodTarget flood = new FloodTarget();
        RecordingTarget echo = new RecordingTarget();
        TestDaemon underTest =
            TestDaemon.startListening(oneLoop(floodMiddle, flood, echoEntry, echo));
        TestDaemon downloads = TestDaemon.startListening(encrypting(floodEntry, floodMiddle));
        Download download = new Download(floodEntry)) {
      await(Duration.ofSeconds(20), () -> download.received() > 16 * MIB, download::describe);

      long before = download.received();
      try (Socket client = new Socket()) {
        client.connect(echoEntry, 5_000);
        client.setSoTimeout((int) ROUND_TRIP_BOUND.toMillis());
        for (int i = 0; i < 20; i++) {
          assertRoundTrip(client, i);
        }
      }
      long during = download.received() - before;

      assertTrue(during > 0, "the download stalled while the round trips ran: test proves nothing");
    }
  }

  /** On one loop: the download's decrypting end, at a flood, and an echo pipe pair. */
  private String oneLoop(
      int floodMiddle, FloodTarget flood, InetSocketAddress echoEntry, RecordingTarget echo) {
    return String.format(
        """
        pekko-spiped.connection-dispatcher.loops = 1
        pekko-spiped.pipes {
          flood-dec { mode = decrypt, key-file = "%1$s"
            source = "[127.0.0.1]:%2$d", target = "[127.0.0.1]:%3$d" }
          echo-enc { mode = encrypt, key-file = "%1$s"
            source = "[127.0.0.1]:%4$d", target = "[127.0.0.1]:%5$d" }
          echo-dec { mode = decrypt, key-file = "%1$s"
            source = "[127.0.0.1]:%5$d", target = "%6$s" }
        }
        """,
        dir.resolve("pair.key"),
        floodMiddle,
        flood.port(),
        echoEntry.getPort(),
        freePort(),
        echo.endpoint());
  }

  private String encrypting(InetSocketAddress floodEntry, int floodMiddle) {
    return String.format(
        """
        pekko-spiped.pipes.flood-enc { mode = encrypt, key-file = "%s"
          source = "[127.0.0.1]:%d", target = "[127.0.0.1]:%d" }
        """,
        dir.resolve("pair.key"), floodEntry.getPort(), floodMiddle);
  }

  /** 64 bytes there and back, within the bound (the socket's read timeout fails it past that). */
  private static void assertRoundTrip(Socket client, int i) throws IOException {
    byte[] request = new byte[64];
    Arrays.fill(request, (byte) i);
    long start = System.nanoTime();
    client.getOutputStream().write(request);

    byte[] reply = client.getInputStream().readNBytes(request.length);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertArrayEquals(request, reply, "round trip " + i + " after " + millis + " ms");
  }

  /** Its own thread: both blocking loops must run at once, whatever the common pool's size. */
  private static void start(Runnable loop, String name) {
    Thread thread = new Thread(loop, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** A target that sends zeros to whoever connects, as fast as it can, until closed. */
  private static final class FloodTarget implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0, 1, local(0).getAddress());

    FloodTarget() throws IOException {
      start(this::flood, "flood-target");
    }

    int port() {
      return listener.getLocalPort();
    }

    private void flood() {
      try (Socket socket = listener.accept()) {
        OutputStream out = socket.getOutputStream();
        byte[] zeros = new byte[64 * 1024];
        while (true) {
          out.write(zeros);
        }
      } catch (IOException e) {
        // Closed by the test, or the pipe went away.
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
    }
  }

  /** A client that reads everything the pipe gives it and counts the bytes. */
  private static final class Download implements AutoCloseable {
    private final Socket socket = new Socket();
    private final AtomicLong received = new AtomicLong();

    Download(InetSocketAddress pipe) throws IOException {
      socket.connect(pipe, 5_000);
      start(this::read, "download");
    }

    long received() {
      return received.get();
    }

    String describe() {
      return "the download got only " + received.get() + " bytes";
    }

    private void read() {
      byte[] buffer = new byte[64 * 1024];
      try {
        InputStream in = socket.getInputStream();
        for (int n; (n = in.read(buffer)) >= 0; ) {
          received.addAndGet(n);
        }
      } catch (IOException e) {
        // Closed by the test.
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
