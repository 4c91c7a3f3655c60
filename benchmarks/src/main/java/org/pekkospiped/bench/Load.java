package org.pekkospiped.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load generators that benchmarks/run.sh drives against a pipe pair (spiped's, pekko-spiped's
 * or a plain socat relay), all on 127.0.0.1. Each prints one line of results to standard output.
 *
 * <pre>
 *   echo PORT                           echo server (the trivial target), runs until killed
 *   bulk SOURCE_PORT SINK_PORT STREAMS BYTES
 *                                       sink on SINK_PORT; STREAMS connections to SOURCE_PORT
 *                                       share BYTES; prints "seconds MB/s" once the sink saw
 *                                       every byte and every EOF
 *   handshakes PORT CLIENTS SECONDS     CLIENTS loops of connect, 1-byte round trip, close;
 *                                       prints "per-second completed failed"
 *   rtt PORT COUNT SIZE                 one connection, COUNT round trips of SIZE bytes after a
 *                                       warm-up; prints "p50_us p99_us"
 *   idle PORT COUNT                     opens COUNT connections, one round trip on each, prints
 *                                       "ready", holds them until standard input closes
 * </pre>
 */
public final class Load {
  private static final String HOST = "127.0.0.1";
  private static final int TIMEOUT_MS = 10_000;

  private Load() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "echo" -> echo(Integer.parseInt(args[1]));
      case "bulk" -> bulk(
          Integer.parseInt(args[1]),
          Integer.parseInt(args[2]),
          Integer.parseInt(args[3]),
          Long.parseLong(args[4]));
      case "handshakes" -> handshakes(
          Integer.parseInt(args[1]), Integer.parseInt(args[2]), Double.parseDouble(args[3]));
      case "rtt" -> rtt(
          Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      case "idle" -> idle(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    }
  }

  /** A single-threaded NIO echo server, so that it costs little CPU and holds many sockets. */
  private static void echo(int port) throws IOException {
    Selector selector = Selector.open();
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(HOST, port), 1024);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    System.out.println("echo listening on " + port);
    System.out.flush();

    while (true) {
      selector.select();
      for (SelectionKey key : selector.selectedKeys()) {
        if (key.isAcceptable()) {
          SocketChannel channel;
          while ((channel = server.accept()) != null) {
            channel.configureBlocking(false);
            channel.socket().setTcpNoDelay(true);
            channel.register(selector, SelectionKey.OP_READ);
          }
        } else if (key.isReadable()) {
          echoOnce((SocketChannel) key.channel(), buffer, key);
        }
      }
      selector.selectedKeys().clear();
    }
  }

  private static void echoOnce(SocketChannel channel, ByteBuffer buffer, SelectionKey key) {
    try {
      buffer.clear();
      int read = channel.read(buffer);
      if (read < 0) {
        key.cancel();
        channel.close();
        return;
      }
      buffer.flip();
      // Replies are small (a byte, a 64-byte request): blocking briefly on a full buffer is fine.
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    } catch (IOException e) {
      key.cancel();
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  private static void bulk(int sourcePort, int sinkPort, int streams, long bytes)
      throws Exception {
    ServerSocketChannel sink = ServerSocketChannel.open();
    sink.bind(new InetSocketAddress(HOST, sinkPort), 64);
    ExecutorService threads = Executors.newCachedThreadPool();
    AtomicLong received = new AtomicLong();
    CountDownLatch eofs = new CountDownLatch(streams);
    threads.submit(
        () -> {
          for (int i = 0; i < streams; i++) {
            SocketChannel channel = sink.accept();
            threads.submit(() -> drain(channel, received, eofs));
          }
          return null;
        });

    long start = System.nanoTime();
    List<Future<?>> senders = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      long share = bytes / streams + (i == 0 ? bytes % streams : 0);
      senders.add(threads.submit(() -> send(sourcePort, share)));
    }
    for (Future<?> sender : senders) {
      sender.get();
    }
    if (!eofs.await(300, TimeUnit.SECONDS)) {
      throw new IllegalStateException("sink did not see every EOF; got " + received.get());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (received.get() != bytes) {
      throw new IllegalStateException("sink got " + received.get() + " of " + bytes + " bytes");
    }
    System.out.printf("%.3f %.1f%n", seconds, bytes / seconds / 1e6);
    threads.shutdownNow();
    sink.close();
  }

  private static Void send(int port, long bytes) throws IOException {
    try (SocketChannel channel = SocketChannel.open(new InetSocketAddress(HOST, port))) {
      ByteBuffer zeros = ByteBuffer.allocateDirect(64 * 1024);
      long left = bytes;
      while (left > 0) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), left));
        left -= channel.write(zeros);
      }
      channel.shutdownOutput();
      // Wait for the far end to close, so the pipe is not torn down under data in flight.
      channel.read(ByteBuffer.allocate(1));
    }
    return null;
  }

  private static Void drain(SocketChannel channel, AtomicLong received, CountDownLatch eofs)
      throws IOException {
    try (channel) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
      int read;
      while ((read = channel.read(buffer.clear())) >= 0) {
        received.addAndGet(read);
      }
    } finally {
      eofs.countDown();
    }
    return null;
  }

  private static void handshakes(int port, int clients, double seconds) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(clients);
    AtomicLong completed = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    long start = System.nanoTime();
    List<Future<?>> workers = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      workers.add(
          threads.submit(
              () -> {
                while (System.nanoTime() < deadline) {
                  if (oneHandshake(port)) {
                    completed.incrementAndGet();
                  } else {
                    failed.incrementAndGet();
                  }
                }
                return null;
              }));
    }
    for (Future<?> worker : workers) {
      worker.get();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    threads.shutdown();
    System.out.printf("%.1f %d %d%n", completed.get() / elapsed, completed.get(), failed.get());
  }

  /** Connect, one byte there and back (so the handshake and the target are done), close. */
  private static boolean oneHandshake(int port) {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(TIMEOUT_MS);
      socket.connect(new InetSocketAddress(HOST, port), TIMEOUT_MS);
      socket.getOutputStream().write(1);
      return socket.getInputStream().read() == 1;
    } catch (IOException e) {
      return false;
    }
  }

  private static void rtt(int port, int count, int size) throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(TIMEOUT_MS);
      socket.connect(new InetSocketAddress(HOST, port), TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      byte[] request = new byte[size];
      byte[] reply = new byte[size];

      for (int i = 0; i < 1000; i++) {
        roundTrip(out, in, request, reply);
      }
      long[] micros = new long[count];
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        roundTrip(out, in, request, reply);
        micros[i] = (System.nanoTime() - start) / 1000;
      }
      Arrays.sort(micros);
      System.out.printf("%d %d%n", micros[count / 2], micros[(int) (count * 0.99) - 1]);
    }
  }

  private static void roundTrip(OutputStream out, InputStream in, byte[] request, byte[] reply)
      throws IOException {
    out.write(request);
    int got = 0;
    while (got < reply.length) {
      int read = in.read(reply, got, reply.length - got);
      if (read < 0) {
        throw new IOException("closed after " + got + " bytes");
      }
      got += read;
    }
  }

  private static void idle(int port, int count) throws Exception {
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Socket socket = new Socket();
      socket.setSoTimeout(TIMEOUT_MS);
      socket.connect(new InetSocketAddress(HOST, port), TIMEOUT_MS);
      socket.getOutputStream().write(1);
      if (socket.getInputStream().read() != 1) {
        throw new IOException("connection " + i + " got no echo");
      }
      sockets.add(socket);
    }
    System.out.println("ready");
    System.out.flush();

    while (System.in.read() >= 0) {
      // hold the connections until the harness closes our standard input
    }
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
