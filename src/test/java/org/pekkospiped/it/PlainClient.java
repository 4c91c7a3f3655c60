package org.pekkospiped.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The plaintext client of a pipe: connects, sends, half-closes, and reads until the far end closes.
 * Sending runs on its own thread so that a large echo cannot deadlock on full buffers.
 */
public final class PlainClient {

  private PlainClient() {}

  /** What arrived before the connection closed, and whether it closed by a reset, not a FIN. */
  public record Received(byte[] bytes, boolean reset) {}

  /**
   * Sends {@code request}, half-closes, and returns everything received up to EOF. Fails on a reset
   * or when the whole exchange takes longer than {@code timeout}.
   */
  public static byte[] exchange(InetSocketAddress address, byte[] request, Duration timeout)
      throws IOException {
    try (Socket socket = connect(address, timeout)) {
      CompletableFuture<Void> sent = sendAndHalfClose(socket, request);

      Received received = readUntilClosed(socket, timeout);
      if (received.reset()) {
        throw new SocketException(
            "connection reset after " + received.bytes().length + " bytes from " + address);
      }

      Threads.await(sent, timeout, "request sent to " + address);
      return received.bytes();
    }
  }

  /**
   * As {@link #exchange}, but a reset ends the exchange instead of failing it, and a failure to
   * send (the pipe closed early) is ignored: for tests of connections a pipe must drop.
   */
  public static Received exchangeUntilClosed(
      InetSocketAddress address, byte[] request, Duration timeout) throws IOException {
    try (Socket socket = connect(address, timeout)) {
      sendAndHalfClose(socket, request);
      return readUntilClosed(socket, timeout);
    }
  }

  /** A connected socket whose every read gives up after {@code readTimeout}. */
  public static Socket connect(InetSocketAddress address, Duration readTimeout) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(address, (int) readTimeout.toMillis());
      socket.setSoTimeout((int) readTimeout.toMillis());
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** Writes {@code bytes} then half-closes, on a background thread. */
  public static CompletableFuture<Void> sendAndHalfClose(Socket socket, byte[] bytes) {
    return Threads.async(
        "send-" + socket.getLocalPort(),
        () -> {
          OutputStream out = socket.getOutputStream();
          out.write(bytes);
          out.flush();
          socket.shutdownOutput();
          return null;
        });
  }

  /**
   * Reads until EOF or a reset, failing if the total time exceeds {@code timeout} (each read is
   * bounded by the socket's own timeout as well).
   */
  public static Received readUntilClosed(Socket socket, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    byte[] chunk = new byte[16 * 1024];

    try {
      for (int n; (n = in.read(chunk)) >= 0; ) {
        received.write(chunk, 0, n);
        if (System.nanoTime() - deadline > 0) {
          throw new SocketTimeoutException(
              "still receiving after " + timeout + " (" + received.size() + " bytes so far)");
        }
      }
      return new Received(received.toByteArray(), false);
    } catch (SocketException e) {
      // Java reports an RST as "Connection reset"; anything else is a real failure.
      if (e.getMessage() == null || !e.getMessage().contains("reset")) {
        throw e;
      }
      return new Received(received.toByteArray(), true);
    }
  }
}
