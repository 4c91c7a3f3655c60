package org.pekkospiped.config;

/**
 * Bad configuration. The message is one line naming the pipe (or the setting's full path), the
 * setting and what is wrong with it, ready to be shown to an operator as it is.
 */
public final class SettingsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SettingsException(String message) {
    super(message);
  }
}
