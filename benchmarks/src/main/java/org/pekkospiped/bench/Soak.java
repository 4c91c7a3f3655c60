package org.pekkospiped.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak load that benchmarks/soak.sh drives through a pipe pair, with faults mixed in. It
 * runs the target itself (an echo server it restarts now and then) so that it knows which good
 * connections a restart cut, and treats every other failure of a good connection as an error.
 *
 * <pre>
 *   Soak SECONDS GOOD_PORT WRONG_KEY_PORT DECRYPTING_PORT TARGET_PORT TIMEOUT_SECONDS
 * </pre>
 *
 * <ul>
 *   <li>short good clients: 1 B to 64 KiB, half-close, the echo read to EOF and compared;
 *   <li>a long good client: 4 to 32 MiB sent while the echo is read, then compared;
 *   <li>resetting clients: 16 KiB there and back, 16 KiB more, then a reset (SO_LINGER 0);
 *   <li>wrong-key clients: through an encrypting pipe holding another key; must get nothing;
 *   <li>stalled handshakes: 10 bytes straight to the decrypting pipe, then silence; must be
 *       closed at its timeout;
 *   <li>the target restarted every third of the run (every 2 minutes at most), down 2 s.
 * </ul>
 *
 * Prints one line per 10 s and a final summary; exits 1 if a good connection lost or changed a
 * byte, failed outside a target restart, or a fault was not handled as it should be.
 */
public final class Soak {
  private static final String HOST = "127.0.0.1";
  private static final int READ_TIMEOUT_MS = 30_000;
  private static final long TARGET_DOWN_MS = 2_000;

  private final int goodPort;
  private final int wrongKeyPort;
  private final int decryptingPort;
  private final long timeoutMs;
  private final EchoTarget target;
  private final long deadline;

  // Good connections: completed, the bytes they sent and got back, the ones a restart cut.
  private final AtomicLong goodCompleted = new AtomicLong();
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong bytesOut = new AtomicLong();
  private final AtomicLong cutByRestart = new AtomicLong();
  private final AtomicLong longCompleted = new AtomicLong();

  // Faults injected, and how each ended.
  private final AtomicLong resets = new AtomicLong();
  private final AtomicLong wrongKeyRejected = new AtomicLong();
  private final AtomicLong stallsClosed = new AtomicLong();
  private final AtomicLong longestStallMs = new AtomicLong();

  private final List<String> errors = new CopyOnWriteArrayList<>();

  /** A time the target was down, in ms since start, plus a second of grace after. */
  private static final class DownTime {
    final long from;
    volatile long until = Long.MAX_VALUE;

    DownTime(long from) {
      this.from = from;
    }
  }

  private final List<DownTime> downTimes = new CopyOnWriteArrayList<>();

  private final long start = System.currentTimeMillis();

  private Soak(String[] args) throws IOException {
    long seconds = Long.parseLong(args[0]);
    goodPort = Integer.parseInt(args[1]);
    wrongKeyPort = Integer.parseInt(args[2]);
    decryptingPort = Integer.parseInt(args[3]);
    target = new EchoTarget(Integer.parseInt(args[4]));
    timeoutMs = Long.parseLong(args[5]) * 1000;
    deadline = start + seconds * 1000;
  }

  public static void main(String[] args) throws Exception {
    Soak soak = new Soak(args);
    System.exit(soak.run() ? 0 : 1);
  }

  private boolean run() throws Exception {
    target.start();
    ExecutorService workers = Executors.newCachedThreadPool();
    List<Future<?>> running = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      running.add(workers.submit(() -> loop(this::shortGood)));
    }
    running.add(workers.submit(() -> loop(this::longGood)));
    running.add(workers.submit(() -> loop(this::resetting)));
    running.add(workers.submit(() -> loop(this::wrongKey)));
    for (int i = 0; i < 4; i++) {
      running.add(workers.submit(() -> loop(this::stalled)));
    }
    running.add(workers.submit(this::restartTarget));

    while (System.currentTimeMillis() < deadline) {
      Thread.sleep(Math.min(10_000, Math.max(1, deadline - System.currentTimeMillis())));
      progress();
    }
    for (Future<?> worker : running) {
      worker.get(READ_TIMEOUT_MS * 2L, TimeUnit.MILLISECONDS);
    }
    workers.shutdown();
    target.stop();
    return summary();
  }

  private interface Step {
    void run() throws Exception;
  }

  private Void loop(Step step) {
    while (System.currentTimeMillis() < deadline) {
      try {
        step.run();
      } catch (Exception e) {
        errors.add(e.toString());
      }
    }
    return null;
  }

  // ---- good connections ----

  private void shortGood() throws Exception {
    byte[] request = random(1 + ThreadLocalRandom.current().nextInt(64 * 1024));
    good(request);
  }

  private void longGood() throws Exception {
    byte[] request = random((4 + ThreadLocalRandom.current().nextInt(29)) * 1024 * 1024);
    if (good(request)) {
      longCompleted.incrementAndGet();
    }
  }

  /** Sends request while reading the echo; true if it came back whole and unchanged. */
  private boolean good(byte[] request) throws Exception {
    long began = now();
    byte[] echoed;
    try (Socket socket = connect(goodPort)) {
      Thread sender =
          new Thread(
              () -> {
                try {
                  socket.getOutputStream().write(request);
                  socket.shutdownOutput();
                } catch (IOException e) {
                  // The read below sees the same end.
                }
              });
      sender.start();
      echoed = socket.getInputStream().readAllBytes();
      sender.join();
    } catch (IOException e) {
      return cutOrError(began, "good connection of " + request.length + " bytes: " + e);
    }
    if (echoed.length != request.length) {
      return cutOrError(
          began, "good connection sent " + request.length + ", got " + echoed.length + " back");
    }
    if (!Arrays.equals(sha256(request), sha256(echoed))) {
      errors.add("good connection of " + request.length + " bytes: echo differs");
      return false;
    }
    goodCompleted.incrementAndGet();
    bytesIn.addAndGet(request.length);
    bytesOut.addAndGet(echoed.length);
    return true;
  }

  /** A good connection that failed: expected if the target was down meanwhile. */
  private boolean cutOrError(long began, String what) {
    long ended = now();
    for (DownTime down : downTimes) {
      if (began < down.until && ended >= down.from) {
        cutByRestart.incrementAndGet();
        return false;
      }
    }
    errors.add(what + " (at " + ended / 1000 + " s, target up)");
    return false;
  }

  // ---- faults ----

  private void resetting() throws Exception {
    try (Socket socket = connect(goodPort)) {
      byte[] chunk = random(16 * 1024);
      socket.getOutputStream().write(chunk);
      socket.getInputStream().readNBytes(chunk.length);
      socket.getOutputStream().write(chunk);
      socket.setSoLinger(true, 0);
    } catch (IOException e) {
      // The target may be restarting; the reset is what this client is for.
    }
    resets.incrementAndGet();
    Thread.sleep(50);
  }

  private void wrongKey() throws Exception {
    try (Socket socket = connect(wrongKeyPort)) {
      socket.getOutputStream().write(random(100));
      byte[] got = socket.getInputStream().readAllBytes();
      if (got.length != 0) {
        errors.add("a wrong-key client got " + got.length + " bytes back");
        return;
      }
    } catch (SocketException e) {
      // A reset is a refusal too.
    }
    wrongKeyRejected.incrementAndGet();
    Thread.sleep(50);
  }

  private void stalled() throws Exception {
    long began = System.nanoTime();
    try (Socket socket = connect(decryptingPort)) {
      socket.getOutputStream().write(new byte[10]);
      socket.getInputStream().readAllBytes();
    } catch (SocketException e) {
      // Reset instead of closed: dropped all the same.
    }
    long heldMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    longestStallMs.accumulateAndGet(heldMs, Math::max);
    if (heldMs < timeoutMs - 100 || heldMs > timeoutMs + 5_000) {
      errors.add("a stalled handshake was held " + heldMs + " ms, timeout " + timeoutMs + " ms");
    }
    stallsClosed.incrementAndGet();
  }

  private Void restartTarget() throws Exception {
    long runMs = deadline - start;
    long every = Math.min(120_000, runMs / 3);
    for (long at = every; at < runMs - TARGET_DOWN_MS; at += every) {
      Thread.sleep(Math.max(0, start + at - System.currentTimeMillis()));
      // Noted before the stop, so no failure it causes is seen as one with the target up.
      DownTime down = new DownTime(now());
      downTimes.add(down);
      target.stop();
      Thread.sleep(TARGET_DOWN_MS);
      target.start();
      // A second of grace: a connection started just before may fail just after.
      down.until = now() + 1_000;
      System.out.printf("%4d s: target restarted%n", down.from / 1000);
    }
    return null;
  }

  // ---- reports ----

  private void progress() {
    System.out.printf(
        "%4d s: good %d (%d long), %d MiB each way, cut by restarts %d, resets %d,"
            + " wrong key %d, stalls %d, errors %d%n",
        now() / 1000,
        goodCompleted.get(),
        longCompleted.get(),
        bytesIn.get() >> 20,
        cutByRestart.get(),
        resets.get(),
        wrongKeyRejected.get(),
        stallsClosed.get(),
        errors.size());
  }

  private boolean summary() {
    System.out.println("--- soak summary");
    System.out.printf("seconds %d%n", now() / 1000);
    System.out.printf("good_connections %d%n", goodCompleted.get());
    System.out.printf("good_long_connections %d%n", longCompleted.get());
    System.out.printf("bytes_in %d%n", bytesIn.get());
    System.out.printf("bytes_out %d%n", bytesOut.get());
    System.out.printf("cut_by_target_restart %d%n", cutByRestart.get());
    System.out.printf("target_restarts %d%n", downTimes.size());
    System.out.printf("reset_clients %d%n", resets.get());
    System.out.printf("wrong_key_rejected %d%n", wrongKeyRejected.get());
    System.out.printf("stalled_handshakes_closed %d (longest held %d ms)%n",
        stallsClosed.get(), longestStallMs.get());
    System.out.printf("target_connections_left_open %d%n", target.open());
    System.out.printf("errors %d%n", errors.size());
    errors.stream().limit(20).forEach(error -> System.out.println("  " + error));
    return errors.isEmpty() && bytesIn.get() == bytesOut.get() && goodCompleted.get() > 0;
  }

  // ---- small things ----

  private long now() {
    return System.currentTimeMillis() - start;
  }

  private static Socket connect(int port) throws IOException {
    Socket socket = new Socket();
    socket.setSoTimeout(READ_TIMEOUT_MS);
    socket.connect(new InetSocketAddress(HOST, port), READ_TIMEOUT_MS);
    return socket;
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }

  private static byte[] sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return MessageDigest.getInstance("SHA-256").digest(bytes);
  }

  /** An echo server, one thread per connection, that can be stopped (every socket closed). */
  private static final class EchoTarget {
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket listener;

    EchoTarget(int port) {
      this.port = port;
    }

    int open() {
      return open.size();
    }

    synchronized void start() throws IOException {
      ServerSocket server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(HOST, port), 200);
      listener = server;
      Thread acceptor = new Thread(() -> accept(server), "soak-target-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    /** Closes the listener and every open connection, as a crashing target would. */
    synchronized void stop() throws IOException {
      listener.close();
      for (Socket socket : open) {
        socket.close();
      }
    }

    private void accept(ServerSocket server) {
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          open.add(socket);
          Thread echo = new Thread(() -> echo(socket), "soak-target-echo");
          echo.setDaemon(true);
          echo.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void echo(Socket socket) {
      try (socket) {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] buffer = new byte[64 * 1024];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          out.write(buffer, 0, n);
        }
        socket.shutdownOutput();
      } catch (IOException e) {
        // Reset by a resetting client, or closed by stop().
      } finally {
        open.remove(socket);
      }
    }
  }
}
