package org.pekkospiped.cli;

/**
 * Bad input on the command line. {@link Main} prints the message as one line after {@code
 * "pekko-spiped: "} and exits with status 2, without a stack trace.
 */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
