package org.pekkospiped.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * spiped's {@code -n 2} given to our daemon on its real command line:
 *
 * <pre>
 *   clients --plain--> pekko-spiped -e -n 2 --spiped protocol--> spiped -d --plain--> echo
 * </pre>
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConnectionLimitTwoTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** A negative wait has to be bounded by a guess; 300 ms is plenty on loopback. */
  private static final int NOT_SERVED_MILLIS = 300;

  @RegisterExtension final Fixtures fixtures = new Fixtures();

  @TempDir Path tempDir;

  // Goal: with two connections open the third waits in the backlog, unserved, and is served as
  // soon as one of the two leaves.
  @Test
  void limitTwo_thirdClientServedOnlyAfterOneOfFirstTwoLeaves() throws Exception {
    EchoServer echo = fixtures.use(EchoServer.start());
    Path key = KeyFiles.random(tempDir, 1);
    InetSocketAddress decryptingSource = Ports.freeLoopbackAddress();
    fixtures.use(SpipedProcess.decrypting(decryptingSource, echo.address(), key));
    InetSocketAddress entry = Ports.freeLoopbackAddress();
    OurDaemonProcess ours =
        fixtures.use(
            OurDaemonProcess.start(
                Ports.spipedSyntax(entry),
                "-e",
                "-s",
                Ports.spipedSyntax(entry),
                "-t",
                Ports.spipedSyntax(decryptingSource),
                "-k",
                key.toString(),
                "-n",
                "2"));

    try (Socket first = PlainClient.connect(entry, TIMEOUT);
        Socket second = PlainClient.connect(entry, TIMEOUT);
        Socket third = PlainClient.connect(entry, TIMEOUT)) {
      assertEquals('a', echoOneByte(first, 'a'));
      assertEquals('b', echoOneByte(second, 'b'));
      third.getOutputStream().write('c');

      third.setSoTimeout(NOT_SERVED_MILLIS);
      assertThrows(SocketTimeoutException.class, () -> third.getInputStream().read());
      assertEquals(2, echo.acceptedConnections(), "the target saw the third client");

      second.close();
      third.setSoTimeout((int) TIMEOUT.toMillis());
      assertEquals('c', third.getInputStream().read());
      assertEquals('a', echoOneByte(first, 'a'), "the first client lost its connection");
    }
    assertTrue(
        ours.stderr().contains("connection limit 2 reached"),
        "no warning about the limit:\n" + ours.stderr());
  }

  private static int echoOneByte(Socket socket, char value) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(value);
    out.flush();
    InputStream in = socket.getInputStream();
    return in.read();
  }
}
