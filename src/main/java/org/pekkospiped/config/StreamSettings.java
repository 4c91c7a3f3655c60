package org.pekkospiped.config;

import com.typesafe.config.Config;

/**
 * {@code pekko-spiped.stream}: how connections move bytes. None of these changes a byte on the
 * wire; they trade memory and system calls for throughput and latency. reference.conf gives the
 * measured effect of each.
 *
 * @param transport whose sockets carry the connections
 * @param eventLoops run connections on the event loops that watch their sockets
 * @param packetsPerWrite the most packets sealed into one socket write
 * @param readSize the most bytes one read takes from a socket (nio transport)
 * @param sendBufferSize SO_SNDBUF of every connection's sockets; 0 leaves the system's
 * @param receiveBufferSize SO_RCVBUF of every connection's sockets; 0 leaves the system's
 */
public record StreamSettings(
    Transport transport,
    boolean eventLoops,
    int packetsPerWrite,
    int readSize,
    int sendBufferSize,
    int receiveBufferSize) {

  /** The code that owns the sockets. */
  public enum Transport {
    /** The JDK's non-blocking channels, read and written by the connection's own stage. */
    NIO,

    /** Pekko's TCP (Unix sockets always use the JDK's channels). */
    PEKKO_TCP
  }

  /**
   * Reads {@code pekko-spiped.stream} on its own, for spipe, which has no pipes to load.
   *
   * @param config the whole configuration, with reference.conf as its fallback
   * @throws SettingsException naming the setting and what is wrong with it
   */
  public static StreamSettings load(Config config) {
    String path = SpipedSettings.ROOT + ".stream";
    return read(new SettingReader(path + ".", config.getConfig(path)));
  }

  static StreamSettings read(SettingReader stream) {
    return new StreamSettings(
        transport(stream),
        stream.onOff("event-loops"),
        stream.wholeNumber("packets-per-write", 1, "less than 1"),
        stream.bytes("read-size", 1024),
        stream.bytes("send-buffer-size", 0),
        stream.bytes("receive-buffer-size", 0));
  }

  private static Transport transport(SettingReader stream) {
    String name = stream.string("transport");
    return switch (name) {
      case "nio" -> Transport.NIO;
      case "pekko-tcp" -> Transport.PEKKO_TCP;
      default -> throw stream.fail("transport", "expected nio or pekko-tcp, got " + name);
    };
  }
}
