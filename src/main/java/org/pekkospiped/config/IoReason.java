package org.pekkospiped.config;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** The reason of a file error in strerror's words; NIO's messages are often just the path. */
public final class IoReason {
  private IoReason() {}

  /** "No such file or directory", "Permission denied", "Is a directory", ... */
  public static String of(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "No such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "Permission denied";
    }
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return fs.getReason();
    }

    // FileNotFoundException says "name (reason)".
    String message = e.getMessage();
    if (message == null) {
      return e.getClass().getSimpleName();
    }
    int open = message.lastIndexOf(" (");
    if (e instanceof FileNotFoundException && open >= 0 && message.endsWith(")")) {
      return message.substring(open + 2, message.length() - 1);
    }
    return message;
  }
}
