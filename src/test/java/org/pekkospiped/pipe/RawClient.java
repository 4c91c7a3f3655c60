package org.pekkospiped.pipe;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.HandshakeException;
import org.pekkospiped.protocol.HandshakeSession;
import org.pekkospiped.protocol.PacketException;
import org.pekkospiped.protocol.PacketOpener;
import org.pekkospiped.protocol.PacketSealer;
import org.pekkospiped.protocol.ProtocolKey;
import org.pekkospiped.protocol.SessionKeys;
import org.pekkospiped.protocol.Wire;

/**
 * A spiped client on a plain blocking socket, driven by hand one protocol step at a time, so a
 * test can stop, stall or lie at any step.
 */
final class RawClient implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int READ_TIMEOUT_MILLIS = 5_000;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final HandshakeSession session;
  private byte[] serverNonce;
  private SessionKeys keys;
  private PacketSealer sealer;
  private PacketOpener opener;

  private RawClient(Socket socket, HandshakeSession session) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
    this.session = session;
  }

  static RawClient connect(InetSocketAddress pipe, ProtocolKey key, ForwardSecrecy forwardSecrecy)
      throws IOException {
    Socket socket = new Socket();
    socket.connect(pipe, READ_TIMEOUT_MILLIS);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    socket.setTcpNoDelay(true);
    return new RawClient(socket, HandshakeSession.client(key, forwardSecrecy, RANDOM));
  }

  Socket socket() {
    return socket;
  }

  /** How the pipe names this client in its log lines: the client's own address. */
  String peerName() {
    return Sockets.describe((InetSocketAddress) socket.getLocalSocketAddress());
  }

  byte[] clientNonce() {
    return session.localNonce();
  }

  byte[] serverNonce() {
    return serverNonce;
  }

  SessionKeys keys() {
    return keys;
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Step 1: sends our nonce and reads the server's. */
  void exchangeNonces() throws IOException {
    send(session.localNonce());
    serverNonce = read(Wire.NONCE_SIZE);
    session.receivePeerNonce(serverNonce);
  }

  /** Proves the key: sends this side's DH value with its MAC, after the nonces. */
  void sendDhMessage() throws IOException {
    session.generateDhValue();
    send(session.localDhMessage());
  }

  /** The whole handshake, done right; afterwards packets can be sealed and opened. */
  SessionKeys handshake() throws IOException, HandshakeException {
    exchangeNonces();
    sendDhMessage();
    session.receivePeerDhMessage(read(Wire.DH_MESSAGE_SIZE));
    keys = session.finish();
    sealer = keys.sealer();
    opener = keys.opener();
    return keys;
  }

  /** Seals the next packet without sending it, so a test can corrupt, cut or replay it. */
  byte[] seal(byte[] payload) {
    byte[] packet = new byte[Wire.PACKET_SIZE];
    sealer.seal(payload, 0, payload.length, packet, 0);
    return packet;
  }

  /** Seals and sends the next packet; returns its bytes, for replaying. */
  byte[] sendPacket(byte[] payload) throws IOException {
    byte[] packet = seal(payload);
    send(packet);
    return packet;
  }

  /** Reads and opens one packet from the pipe. */
  byte[] readPacket() throws IOException, PacketException {
    byte[] packet = read(Wire.PACKET_SIZE);
    byte[] payload = new byte[Wire.MAX_PAYLOAD];
    int length = opener.open(packet, 0, payload, 0);
    return Arrays.copyOf(payload, length);
  }

  void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /**
   * Waits until the pipe has closed the connection (EOF or a reset), reading and dropping
   * whatever it still sends, and returns how long that took.
   *
   * @throws AssertionError if the connection is still open after limit
   */
  Duration awaitClosed(Duration limit) throws IOException {
    long start = System.nanoTime();
    socket.setSoTimeout((int) limit.toMillis());
    byte[] sink = new byte[4096];
    try {
      while (in.read(sink) >= 0) {
        if (System.nanoTime() - start > limit.toNanos()) {
          throw new AssertionError("pipe kept the connection open for more than " + limit);
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("pipe kept the connection open for more than " + limit, e);
    } catch (SocketException e) {
      // A reset is a close too: the pipe may drop with our unread bytes in its buffer.
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  private byte[] read(int size) throws IOException {
    byte[] bytes = new byte[size];
    try {
      in.readFully(bytes);
    } catch (EOFException e) {
      throw new EOFException("pipe closed the connection while " + size + " bytes were expected");
    }
    return bytes;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
