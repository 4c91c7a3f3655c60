package org.pekkospiped.pipe;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.pekkospiped.protocol.HandshakeSession;
import org.pekkospiped.protocol.SessionKeys;

/**
 * One connection's handshake: the protocol computations and the three moments the rest of the
 * connection waits for.
 *
 * <p>The handshake stage completes these futures; the packet stage reads the keys, the
 * decrypting pipe connects to its target once the peer has proven the key, and the pipe counts
 * the connection as gone when it is closed. A new one is made for every connection.
 */
final class Handshake {
  private final HandshakeSession session;
  private final Executor computations;
  private final CompletableFuture<SessionKeys> keys = new CompletableFuture<>();
  private final CompletableFuture<Done> peerProven = new CompletableFuture<>();
  private final CompletableFuture<Done> closed = new CompletableFuture<>();

  /**
   * @param session the protocol side (client for an encrypting pipe, server for a decrypting one)
   * @param computations where the exponentiations run, off the stream's own threads
   */
  Handshake(HandshakeSession session, Executor computations) {
    this.session = session;
    this.computations = computations;
  }

  HandshakeSession session() {
    return session;
  }

  Executor computations() {
    return computations;
  }

  /** The session keys; completed before the first packet passes in either direction. */
  CompletableFuture<SessionKeys> keys() {
    return keys;
  }

  /** Completed once the peer's DH value has verified under our key. */
  CompletableFuture<Done> peerProven() {
    return peerProven;
  }

  /** Completed when the connection has ended, exceptionally with the reason it was dropped. */
  CompletionStage<Done> closed() {
    return closed;
  }

  /** Called once by the stage when it stops; a failure also fails whatever still waits. */
  void close(Throwable failure) {
    if (failure == null) {
      keys.completeExceptionally(new IllegalStateException("connection closed during handshake"));
      peerProven.completeExceptionally(new IllegalStateException("connection closed"));
      closed.complete(Done.getInstance());
      return;
    }

    keys.completeExceptionally(failure);
    peerProven.completeExceptionally(failure);
    closed.completeExceptionally(failure);
  }
}
