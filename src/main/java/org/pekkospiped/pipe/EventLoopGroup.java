package org.pekkospiped.pipe;

import com.typesafe.config.Config;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.apache.pekko.dispatch.MonitorableThreadFactory;

/**
 * The event loops that run the pipes' stream graphs, as the executor of a Pekko dispatcher
 * ({@code pekko-spiped.connection-dispatcher}).
 *
 * <p>Pekko hands a dispatcher's executor an actor's mailbox whenever the actor has work; the
 * group sends each mailbox to one loop, always the same, so every stage of a connection runs on
 * the thread that also watches the connection's sockets.
 */
final class EventLoopGroup extends AbstractExecutorService {
  private final List<EventLoop> loops;
  private volatile boolean shutdown;

  /** Loops on threads from threads (a dispatcher's own factory, which names them). */
  EventLoopGroup(ThreadFactory threads, int size) {
    loops = IntStream.range(0, size).mapToObj(i -> new EventLoop(threads)).toList();
  }

  /** An actor's mailbox is the same object for its whole life: so is the loop it runs on. */
  @Override
  public void execute(Runnable task) {
    int index = Math.floorMod(System.identityHashCode(task), loops.size());
    loops.get(index).execute(task);
  }

  /**
   * Pekko shuts a dispatcher's executor down once no actor is left on it; the loops' threads
   * and selectors go with it, and a new group is made if actors come back.
   */
  @Override
  public void shutdown() {
    shutdown = true;
    loops.forEach(EventLoop::close);
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown();
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return shutdown;
  }

  /**
   * Named as a dispatcher's {@code executor}; reads {@code loops} from the dispatcher's block, 0
   * meaning one loop per available core.
   */
  public static final class Configurator extends ExecutorServiceConfigurator {
    private final int size;

    public Configurator(Config config, DispatcherPrerequisites prerequisites) {
      super(config, prerequisites);
      int configured = config.getInt("loops");
      size = configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(
        String id, ThreadFactory threadFactory) {
      // Named as Pekko's own dispatchers name theirs, so a thread dump shows which are loops.
      ThreadFactory named =
          threadFactory instanceof MonitorableThreadFactory monitorable
              ? monitorable.withName(monitorable.name() + "-" + id)
              : threadFactory;
      return () -> new EventLoopGroup(named, size);
    }
  }
}
