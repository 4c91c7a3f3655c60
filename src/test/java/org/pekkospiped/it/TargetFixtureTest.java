package org.pekkospiped.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The targets and clients of the end-to-end tests, checked directly with no pipe between. */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TargetFixtureTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path tempDir;

  @Test
  void echoServer_halfClosedRequest_echoedThenEof() throws Exception {
    try (EchoServer echo = EchoServer.start()) {
      byte[] payload = RandomBytes.of(1, 100_000);

      byte[] echoed = PlainClient.exchange(echo.address(), payload, TIMEOUT);

      assertArrayEquals(payload, echoed);
      assertEquals(1, echo.acceptedConnections());
      Threads.await(echo.ended(0), TIMEOUT, "echo connection ended");
    }
  }

  @Test
  void echoServer_noClient_countsNoConnection() {
    try (EchoServer echo = EchoServer.start()) {
      assertEquals(0, echo.acceptedConnections());
      assertFalse(echo.firstAccepted().isDone());
    }
  }

  @Test
  void digestingServer_replyAfterEof_recordsBothDigests() throws Exception {
    byte[] reply = RandomBytes.of(2, 70_000);
    try (DigestingServer server =
        DigestingServer.start(reply, DigestingServer.Reply.AFTER_REQUEST_EOF)) {
      byte[] request = RandomBytes.of(3, 30_000);

      byte[] received = PlainClient.exchange(server.address(), request, TIMEOUT);

      DigestingServer.Exchange seen = Threads.await(server.exchange(0), TIMEOUT, "exchange");
      assertEquals(
          new DigestingServer.Exchange(
              request.length, Digests.sha256(request), reply.length, Digests.sha256(reply)),
          seen);
      assertArrayEquals(reply, received);
    }
  }

  @Test
  void nginx_curlDirect_servesFileByteExact() throws Exception {
    byte[] file = RandomBytes.of(4, 1 << 20);
    try (NginxServer nginx = NginxServer.serving(Map.of("/blob.bin", file))) {

      byte[] fetched = Curl.fetch(nginx.url("/blob.bin").toString());

      assertArrayEquals(file, fetched);
    }
  }

  @Test
  void curl_missingFile_failsWithHttpStatus() throws Exception {
    try (NginxServer nginx = NginxServer.serving(Map.of())) {
      IOException failure =
          assertThrows(IOException.class, () -> Curl.fetch(nginx.address(), "/absent"));

      assertTrue(failure.getMessage().contains("404"), failure::getMessage);
    }
  }

  @Test
  void keyFiles_sameSeed_sameBytes() throws Exception {
    Path first = KeyFiles.random(tempDir, 7);
    Path second = KeyFiles.random(tempDir, 7);

    assertNotEquals(first, second);
    assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
    assertEquals(KeyFiles.USUAL_LENGTH, Files.size(first));
  }

  @Test
  void spipe_targetDown_exitsOneCouldNotConnect() {
    Path key = KeyFiles.random(tempDir, 8);

    SpipeProcess.Result spipe = SpipeProcess.run(Ports.freeLoopbackAddress(), key, new byte[0]);

    assertEquals(1, spipe.exitCode());
    assertTrue(spipe.stderr().contains("Could not connect"), spipe::toString);
  }
}
