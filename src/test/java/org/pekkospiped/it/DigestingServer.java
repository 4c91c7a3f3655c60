package org.pekkospiped.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads everything a connection sends and writes back a reply of pseudo-random bytes, recording a
 * SHA-256 digest of each direction so that a test can compare large transfers by digest.
 */
public final class DigestingServer extends TcpTarget {

  /** When the reply is written. */
  public enum Reply {
    /** Request/response: reply only after the request reached EOF (the client half-closed). */
    AFTER_REQUEST_EOF,
    /** At once and while still reading, then half-close: both directions flow together. */
    IMMEDIATELY
  }

  /** What one connection carried: byte counts and SHA-256 digests (hex) of both directions. */
  public record Exchange(long received, String receivedSha256, long sent, String sentSha256) {}

  private final byte[] reply;
  private final Reply timing;
  private final Map<Integer, CompletableFuture<Exchange>> exchanges = new ConcurrentHashMap<>();

  private DigestingServer(byte[] reply, Reply timing) {
    super("digesting");
    this.reply = reply;
    this.timing = timing;
  }

  /** Replies to every connection with {@code reply}, written as {@code timing} says. */
  public static DigestingServer start(byte[] reply, Reply timing) {
    DigestingServer server = new DigestingServer(reply.clone(), timing);
    server.startAccepting();
    return server;
  }

  /** The bytes every connection is sent. */
  public byte[] reply() {
    return reply.clone();
  }

  /** Completes with what connection {@code index} (from 0) carried once it ended. */
  public CompletableFuture<Exchange> exchange(int index) {
    return exchanges.computeIfAbsent(index, i -> new CompletableFuture<>());
  }

  @Override
  protected void serve(Socket connection, int index) throws IOException {
    try {
      Exchange exchange =
          timing == Reply.IMMEDIATELY
              ? replyWhileReading(connection, index)
              : replyAfterReading(connection);
      exchange(index).complete(exchange);
    } catch (IOException | RuntimeException e) {
      exchange(index).completeExceptionally(e);
      throw e;
    }
  }

  private Exchange replyAfterReading(Socket connection) throws IOException {
    Digests.Running received = readToEnd(connection.getInputStream());

    Digests.Running sent = writeReply(connection.getOutputStream());
    connection.shutdownOutput();

    return new Exchange(received.count(), received.hex(), sent.count(), sent.hex());
  }

  private Exchange replyWhileReading(Socket connection, int index) throws IOException {
    CompletableFuture<Digests.Running> sent =
        Threads.async("digesting-reply-" + index, () -> writeReplyAndHalfClose(connection));

    Digests.Running received = readToEnd(connection.getInputStream());

    Digests.Running written = Threads.await(sent, READ_TIMEOUT, "reply written");
    return new Exchange(received.count(), received.hex(), written.count(), written.hex());
  }

  private Digests.Running writeReplyAndHalfClose(Socket connection) throws IOException {
    Digests.Running sent = writeReply(connection.getOutputStream());
    connection.shutdownOutput();
    return sent;
  }

  private static Digests.Running readToEnd(InputStream in) throws IOException {
    Digests.Running received = Digests.running();
    byte[] chunk = new byte[16 * 1024];
    for (int n; (n = in.read(chunk)) >= 0; ) {
      received.update(chunk, 0, n);
    }
    return received;
  }

  private Digests.Running writeReply(OutputStream out) throws IOException {
    Digests.Running sent = Digests.running();
    out.write(reply);
    out.flush();
    sent.update(reply, 0, reply.length);
    return sent;
  }
}
