package org.pekkospiped.pipe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.IntConsumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread per actor system that waits for the pipes' sockets (TCP and Unix domain) to become
 * ready, so that the stream stages using them never block.
 *
 * <p>The stages do every read, write and accept themselves, on their own threads, with the
 * channels in non-blocking mode. Only when a channel has nothing to give (or cannot take more)
 * does a stage ask this thread to wait for it, with {@link #await}; the thread then calls the
 * stage back once, and forgets the interest until the stage asks again. This is the shape of
 * Pekko's own TCP: a few threads blocked in a selector, however many connections are open.
 * Blocking channels would instead need a thread per open direction of every connection, which
 * a fixed-size dispatcher cannot promise and Java 17 has no virtual threads for.
 *
 * <p>Unlike Pekko's TCP, no actor stands between the socket and the stream: a byte that arrives
 * costs one hand-over (this thread to the stage's), which is what keeps a round trip short.
 */
final class ChannelSelector implements Extension {
  private static final Logger log = LoggerFactory.getLogger(ChannelSelector.class);

  static final ExtensionId<ChannelSelector> ID =
      new ExtensionId<>() {
        @Override
        public ChannelSelector createExtension(ActorSystem<?> system) {
          ChannelSelector selector = new ChannelSelector(system.name());
          system.getWhenTerminated().thenRun(selector::close);
          return selector;
        }
      };

  private final Selector selector;

  private ChannelSelector(String systemName) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector for sockets", e);
    }
    Thread thread = new Thread(this::run, systemName + "-socket-selector");
    thread.setDaemon(true);
    thread.start();
  }

  static ChannelSelector get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /**
   * Registers a non-blocking channel, with no interest yet.
   *
   * @param ready called on the selector thread with the ready operations, once per {@link
   *     #await}; it must only hand them to the channel's owner, never do I/O itself
   */
  SelectionKey register(SelectableChannel channel, IntConsumer ready) throws IOException {
    return channel.register(selector, 0, ready);
  }

  /** Asks for one call back when any of operations is ready on key's channel. */
  void await(SelectionKey key, int operations) {
    key.interestOpsOr(operations);
    selector.wakeup();
  }

  /** Makes the selector drop keys cancelled by a channel's close, which frees the socket. */
  void wakeup() {
    selector.wakeup();
  }

  private void run() {
    try {
      while (selector.isOpen()) {
        selector.select(this::dispatch);
      }
    } catch (ClosedSelectorException e) {
      // The actor system has terminated.
    } catch (IOException | RuntimeException e) {
      log.error("the socket selector failed; every connection stalls", e);
    }
  }

  private void dispatch(SelectionKey key) {
    try {
      int ready = key.readyOps();
      key.interestOpsAnd(~ready);
      ((IntConsumer) key.attachment()).accept(ready);
    } catch (CancelledKeyException e) {
      // The channel was closed while it was ready; its owner no longer cares.
    }
  }

  private void close() {
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("closing the socket selector failed", e);
    }
  }
}
