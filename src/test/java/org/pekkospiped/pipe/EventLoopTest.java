package org.pekkospiped.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventLoopTest {
  private final List<AutoCloseable> opened = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable closeable : opened) {
      closeable.close();
    }
  }

  @Test
  void execute_fromAnotherThread_runsOnTheLoopWhichKnowsItself() throws Exception {
    EventLoop loop = loop("test-loop");
    AtomicReference<EventLoop> seen = new AtomicReference<>();
    AtomicReference<String> thread = new AtomicReference<>();
    CountDownLatch ran = new CountDownLatch(1);

    loop.execute(
        () -> {
          seen.set(EventLoop.currentOr(null));
          thread.set(Thread.currentThread().getName());
          ran.countDown();
        });

    assertTrue(ran.await(5, TimeUnit.SECONDS), "the task never ran");
    assertSame(loop, seen.get());
    assertEquals("test-loop", thread.get());
    assertSame(loop, EventLoop.currentOr(loop), "off the loop, the fallback is given");
  }

  @Test
  void execute_fromTheLoopItself_runsAfterTheCurrentTaskInOrder() throws Exception {
    EventLoop loop = loop("test-loop");
    List<Integer> order = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);

    loop.execute(
        () -> {
          loop.execute(
              () -> {
                order.add(2);
                done.countDown();
              });
          order.add(1);
        });

    assertTrue(done.await(5, TimeUnit.SECONDS), "the inner task never ran");
    assertEquals(List.of(1, 2), order);
  }

  @Test
  void await_readableSocket_calledBackOnceOnTheLoop() throws Exception {
    EventLoop loop = loop("test-loop");
    SocketChannel[] pair = connectedPair();
    SocketChannel client = pair[0];
    SocketChannel accepted = pair[1];
    accepted.configureBlocking(false);

    CountDownLatch ready = new CountDownLatch(1);
    AtomicReference<String> thread = new AtomicReference<>();
    SelectionKey key =
        loop.register(
            accepted,
            operations -> {
              thread.set(Thread.currentThread().getName());
              ready.countDown();
            });
    loop.await(key, SelectionKey.OP_READ);
    client.write(ByteBuffer.wrap(new byte[] {1}));

    assertTrue(ready.await(5, TimeUnit.SECONDS), "never called back");
    assertEquals("test-loop", thread.get());
    assertEquals(0, key.interestOps(), "the interest is forgotten until asked again");
  }

  @Test
  void await_whileATaskKeepsQueueingItself_socketStillCalledBack() throws Exception {
    EventLoop loop = loop("test-loop");
    SocketChannel[] pair = connectedPair();
    SocketChannel accepted = pair[1];
    accepted.configureBlocking(false);
    CountDownLatch ready = new CountDownLatch(1);
    SelectionKey key = loop.register(accepted, operations -> ready.countDown());

    // As a busy actor's mailbox does: each run queues the next, until the socket is served.
    Runnable busy =
        new Runnable() {
          @Override
          public void run() {
            if (ready.getCount() > 0) {
              loop.execute(this);
            }
          }
        };
    loop.execute(busy);
    loop.await(key, SelectionKey.OP_READ);
    pair[0].write(ByteBuffer.wrap(new byte[] {1}));

    assertTrue(ready.await(5, TimeUnit.SECONDS), "the busy task kept the loop from its socket");
  }

  @Test
  void closeNow_registeredListeningSocket_refusesConnectsOnceComplete() throws Exception {
    EventLoop loop = loop("test-loop");
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET);
    opened.add(server);
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    InetSocketAddress address = (InetSocketAddress) server.getLocalAddress();
    server.configureBlocking(false);
    SelectionKey key = loop.register(server, operations -> {});
    loop.await(key, SelectionKey.OP_ACCEPT);

    loop.closeNow(server).toCompletableFuture().get(5, TimeUnit.SECONDS);

    // Registered with a selector, a closed channel's socket listens on until its key is dropped.
    assertThrows(ConnectException.class, () -> SocketChannel.open(address).close());
  }

  @Test
  void group_sameTaskObject_alwaysTheSameLoop() throws Exception {
    EventLoopGroup group = group(4);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    CountDownLatch ran = new CountDownLatch(20);
    Runnable mailbox =
        () -> {
          threads.add(Thread.currentThread().getName());
          ran.countDown();
        };

    for (int i = 0; i < 20; i++) {
      group.execute(mailbox);
    }

    assertTrue(ran.await(5, TimeUnit.SECONDS), "not every run happened");
    assertEquals(1, threads.size(), "ran on " + threads);
  }

  @Test
  void group_manyTasks_spreadOverItsLoops() throws Exception {
    EventLoopGroup group = group(2);
    Set<EventLoop> loops = ConcurrentHashMap.newKeySet();
    CountDownLatch ran = new CountDownLatch(64);

    for (int i = 0; i < 64; i++) {
      group.execute(
          () -> {
            loops.add(EventLoop.currentOr(null));
            ran.countDown();
          });
    }

    assertTrue(ran.await(5, TimeUnit.SECONDS), "not every task ran");
    assertEquals(2, loops.size());
  }

  /** A client and the server side it connected to, over loopback. */
  private SocketChannel[] connectedPair() throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET);
    opened.add(server);
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    SocketChannel client = SocketChannel.open(server.getLocalAddress());
    opened.add(client);
    SocketChannel accepted = server.accept();
    opened.add(accepted);
    return new SocketChannel[] {client, accepted};
  }

  private EventLoopGroup group(int size) {
    EventLoopGroup group = new EventLoopGroup(Thread::new, size);
    opened.add(group::shutdown);
    return group;
  }

  private EventLoop loop(String name) throws IOException {
    EventLoop loop = new EventLoop(name);
    opened.add(loop::close);
    return loop;
  }
}
