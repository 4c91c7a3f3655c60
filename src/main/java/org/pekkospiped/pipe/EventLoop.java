package org.pekkospiped.pipe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.function.IntConsumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that waits for sockets (TCP and Unix domain) to become ready and, in between, runs
 * the tasks handed to it: the stream stages of the connections whose sockets it watches.
 *
 * <p>The stages do every read, write and accept themselves, with the channels in non-blocking
 * mode. Only when a channel has nothing to give (or cannot take more) does a stage ask this loop
 * to wait for it, with {@link #await}; the loop then calls the stage back once, and forgets the
 * interest until the stage asks again. Blocking channels would instead need a thread per open
 * direction of every connection, which a fixed-size dispatcher cannot promise and Java 17 has no
 * virtual threads for.
 *
 * <p>The pipes' stream graphs run on these loops (see {@link EventLoopGroup}), so that a stage's
 * own thread is the one that sees its socket become ready: a byte that arrives is read,
 * sealed or opened, and written on without waking any other thread, as in spiped's own event
 * loop. A stage that runs elsewhere (on Pekko's TCP transport, or in a test) uses its actor
 * system's {@link #get own loop}, at the cost of one hand-over per ready socket.
 */
final class EventLoop implements Extension {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

  /** The loop whose thread this is, on a loop's thread only. */
  private static final ThreadLocal<EventLoop> CURRENT = new ThreadLocal<>();

  static final ExtensionId<EventLoop> ID =
      new ExtensionId<>() {
        @Override
        public EventLoop createExtension(ActorSystem<?> system) {
          EventLoop loop = new EventLoop(system.name() + "-socket-selector");
          system.getWhenTerminated().thenRun(loop::close);
          return loop;
        }
      };

  private final Selector selector;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Thread thread;

  /** True while the thread is, or is about to be, blocked in select: a new task must wake it. */
  private volatile boolean selecting;

  /** A loop on a daemon thread of its own, named threadName. */
  EventLoop(String threadName) {
    this(
        task -> {
          Thread thread = new Thread(task, threadName);
          thread.setDaemon(true);
          return thread;
        });
  }

  /**
   * A loop on a thread from threads: a Pekko dispatcher's factory gives its actor system's
   * handling of an Error that escapes (with Pekko's defaults, a fatal one exits the JVM, as
   * it would on any other dispatcher), rather than a loop that silently stops for good.
   */
  EventLoop(ThreadFactory threads) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector for sockets", e);
    }
    thread = threads.newThread(this::run);
    thread.start();
  }

  /** The actor system's own loop, for stages that do not run on a loop. */
  static EventLoop get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The loop whose thread calls this, or fallback when it is no loop's. */
  static EventLoop currentOr(EventLoop fallback) {
    EventLoop current = CURRENT.get();
    return current != null ? current : fallback;
  }

  /** Runs task on this loop's thread, after the tasks and ready sockets before it. */
  void execute(Runnable task) {
    tasks.add(task);
    if (selecting && Thread.currentThread() != thread) {
      selector.wakeup();
    }
  }

  /**
   * Registers a non-blocking channel, with no interest yet.
   *
   * @param ready called on the loop's thread with the ready operations, once per {@link
   *     #await}; it must only hand them to the channel's owner, never do I/O itself
   */
  SelectionKey register(SelectableChannel channel, IntConsumer ready) throws IOException {
    return channel.register(selector, 0, ready);
  }

  /** Asks for one call back when any of operations is ready on key's channel. */
  void await(SelectionKey key, int operations) {
    key.interestOpsOr(operations);
    wakeup();
  }

  /**
   * Makes a select under way take up changed interests, or drop keys cancelled by a channel's
   * close (which frees the socket). On the loop's own thread there is none under way: the next
   * select takes them up by itself.
   */
  void wakeup() {
    if (Thread.currentThread() != thread) {
      selector.wakeup();
    }
  }

  /**
   * Closes a registered channel and completes once its socket is really closed. The JDK keeps
   * the socket of a channel that is still registered open until the selector next drops the
   * key: a listening socket closed from another thread would go on accepting (and refusing
   * nobody) until then. Done on the loop's thread, followed by a selection that drops the key.
   */
  CompletionStage<Done> closeNow(SelectableChannel channel) {
    CompletableFuture<Done> closed = new CompletableFuture<>();
    Runnable close =
        () -> {
          try {
            channel.close();
            selector.selectNow(this::dispatch);
          } catch (IOException | ClosedSelectorException e) {
            log.debug("closing a channel on event loop {} failed", thread.getName(), e);
          }
          closed.complete(Done.getInstance());
        };
    if (selector.isOpen()) {
      execute(close);
    } else {
      close.run();
    }
    return closed;
  }

  private void run() {
    CURRENT.set(this);
    try {
      while (selector.isOpen()) {
        runTasks();
        selectOnce();
      }
    } catch (ClosedSelectorException e) {
      // Closed: the actor system has terminated.
    } catch (IOException | RuntimeException e) {
      log.error("event loop {} failed; its connections stall", thread.getName(), e);
    }
  }

  /** Blocks only when no task waits; a task added meanwhile finds selecting set and wakes it. */
  private void selectOnce() throws IOException {
    selecting = true;
    try {
      if (tasks.isEmpty()) {
        selector.select(this::dispatch);
      } else {
        selector.selectNow(this::dispatch);
      }
    } finally {
      selecting = false;
    }
  }

  /**
   * Runs the tasks that were waiting when it began, not those they add: a busy actor's mailbox
   * queues itself again after each turn, and draining until empty would then keep the loop from
   * its sockets, and so every other connection on it, for as long as that actor stays busy.
   */
  private void runTasks() {
    for (int waiting = tasks.size(); waiting > 0; waiting--) {
      Runnable task = tasks.poll();
      try {
        task.run();
      } catch (RuntimeException e) {
        log.error("a task on event loop {} failed", thread.getName(), e);
      }
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

  void close() {
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("closing event loop {} failed", thread.getName(), e);
    }
  }
}
