package org.pekkospiped.it;

import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The processes and servers one test started: closed after it (last started, first closed), and
 * described on a failing test's exception, so that their stderr is there to read.
 *
 * <p>Register as a JUnit extension: {@code @RegisterExtension final Fixtures fixtures = new
 * Fixtures();}.
 */
final class Fixtures implements AfterEachCallback, TestExecutionExceptionHandler {
  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  /** Registers a fixture to close after the test. */
  <T extends AutoCloseable> T use(T fixture) {
    started.push(fixture);
    return fixture;
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    StringBuilder all = new StringBuilder("fixtures at failure:\n");
    for (AutoCloseable fixture : started) {
      all.append("* ").append(fixture).append('\n');
    }
    AssertionError diagnostics = new AssertionError(all.toString());
    // Where the diagnostics were gathered says nothing; the fixtures' state says it all.
    diagnostics.setStackTrace(new StackTraceElement[0]);
    failure.addSuppressed(diagnostics);
    throw failure;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
