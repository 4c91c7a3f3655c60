package org.pekkospiped.pipe;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Collects what the daemon logs, for tests that check a log line or its absence. */
final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  /** Captures everything logged (Pekko's own lines included) from now on. */
  LogCapture() {
    logger = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    appender.start();
    logger.addAppender(appender);
  }

  /** "LEVEL message" of every event so far whose formatted message matches. */
  List<String> lines(Predicate<String> message) {
    synchronized (appender) {
      return appender.list.stream()
          .filter(event -> message.test(event.getFormattedMessage()))
          .map(event -> event.getLevel() + " " + event.getFormattedMessage())
          .collect(Collectors.toList());
    }
  }

  List<String> linesContaining(String text) {
    return lines(message -> message.contains(text));
  }

  /** "LEVEL logger message" of every line at WARN or above so far. */
  List<String> warningsAndErrors() {
    synchronized (appender) {
      return appender.list.stream()
          .filter(event -> event.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
          .map(
              event ->
                  event.getLevel() + " " + event.getLoggerName() + " " + event.getFormattedMessage())
          .collect(Collectors.toList());
    }
  }

  /** Every message logged so far, with the text of any exception attached to it. */
  List<String> everything() {
    synchronized (appender) {
      return appender.list.stream()
          .map(
              event ->
                  event.getFormattedMessage()
                      + (event.getThrowableProxy() == null
                          ? ""
                          : " " + event.getThrowableProxy().getMessage()))
          .collect(Collectors.toList());
    }
  }

  void clear() {
    synchronized (appender) {
      appender.list.clear();
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
