package org.pekkospiped.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * Echoes every byte it receives. When its input reaches EOF it half-closes its output, so the
 * client sees EOF only after the whole echo, and so a pipe's half-close is exercised both ways.
 */
public final class EchoServer extends TcpTarget {

  private EchoServer() {
    super("echo");
  }

  public static EchoServer start() {
    EchoServer echo = new EchoServer();
    echo.startAccepting();
    return echo;
  }

  @Override
  protected void serve(Socket connection, int index) throws IOException {
    InputStream in = connection.getInputStream();
    OutputStream out = connection.getOutputStream();
    byte[] chunk = new byte[16 * 1024];

    for (int n; (n = in.read(chunk)) >= 0; ) {
      out.write(chunk, 0, n);
    }

    connection.shutdownOutput();
  }
}
