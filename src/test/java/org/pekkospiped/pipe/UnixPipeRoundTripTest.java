package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.pekkospiped.pipe.UnixTesting.awaitListening;
import static org.pekkospiped.pipe.UnixTesting.connect;
import static org.pekkospiped.pipe.UnixTesting.exchange;
import static org.pekkospiped.pipe.UnixTesting.freeTcpPort;
import static org.pekkospiped.pipe.UnixTesting.keyFile;
import static org.pekkospiped.pipe.UnixTesting.pipe;
import static org.pekkospiped.pipe.UnixTesting.random;
import static org.pekkospiped.pipe.UnixTesting.sha256;
import static org.pekkospiped.pipe.UnixTesting.startDaemon;
import static org.pekkospiped.pipe.UnixTesting.writeFully;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pekkospiped.pipe.UnixTesting.TargetServer;
import org.pekkospiped.pipe.UnixTesting.TargetServer.Behaviour;

/**
 * A pipe pair with Unix sockets at both outer ends and TCP between them:
 *
 * <pre>
 *   client -> in.sock -> [encrypt] -> TCP -> [decrypt] -> target.sock -> test server
 * </pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(20)
class UnixPipeRoundTripTest {
  private Path dir;
  private Daemon daemon;
  private TargetServer replying;
  private TargetServer echoing;

  @BeforeAll
  void startPipes(@TempDir Path dir) throws Exception {
    this.dir = dir;
    Path key = keyFile(dir);
    replying = new TargetServer(dir.resolve("reply.sock"), Behaviour.REPLY_AFTER_EOF);
    echoing = new TargetServer(dir.resolve("echo.sock"), Behaviour.ECHO);
    String replyNetwork = "[127.0.0.1]:" + freeTcpPort();
    String echoNetwork = "[127.0.0.1]:" + freeTcpPort();
    daemon =
        startDaemon(
            pipe("reply-e", "encrypt", dir + "/reply-in.sock", replyNetwork, key),
            pipe("reply-d", "decrypt", replyNetwork, dir + "/reply.sock", key),
            pipe("echo-e", "encrypt", dir + "/echo-in.sock", echoNetwork, key),
            pipe("echo-d", "decrypt", echoNetwork, dir + "/echo.sock", key));
    awaitListening(daemon);
  }

  @AfterAll
  void stopPipes() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    if (replying != null) {
      replying.close();
    }
    if (echoing != null) {
      echoing.close();
    }
  }

  /** The target replies only after EOF, so the reply needs the other direction to stay open. */
  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 1025, 8 * 1024 * 1024})
  void unixBothEnds_clientHalfClosesAfterSending_getsWholeReply(int size) throws Exception {
    byte[] request = random(size);

    byte[] reply = exchange(dir.resolve("reply-in.sock"), request);

    assertEquals(size, reply.length);
    assertEquals(sha256(request), sha256(reply));
  }

  /** Each byte comes back on its own: nothing waits for a full chunk or for EOF. */
  @Test
  void unixBothEnds_interactiveEcho_answersEachByteBeforeEof() throws Exception {
    try (SocketChannel client = connect(dir.resolve("echo-in.sock"))) {
      for (byte b = 1; b <= 3; b++) {
        writeFully(client, ByteBuffer.wrap(new byte[] {b}));
        ByteBuffer answer = ByteBuffer.allocate(1);
        client.read(answer);
        assertEquals(b, answer.get(0));
      }

      client.shutdownOutput();
      assertEquals(-1, client.read(ByteBuffer.allocate(1)));
    }
  }
}
