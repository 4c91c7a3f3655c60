package org.pekkospiped.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.pekkospiped.protocol.ForwardSecrecy;
import org.pekkospiped.protocol.ProtocolKey;

/**
 * One pipe: what a single spiped process does. Read from {@code pekko-spiped.pipes.<name>} by
 * {@link SpipedSettings#load}; reference.conf documents each field under the same name in
 * kebab-case.
 *
 * @param name the key under {@code pekko-spiped.pipes}, shown in logs and errors
 * @param mode encrypt ({@code -e}) or decrypt ({@code -d})
 * @param source where to listen ({@code -s})
 * @param target where to connect ({@code -t})
 * @param keys the keys from {@code key-file}, at least one, in the order written ({@code -k})
 * @param forwardSecrecy on, off ({@code -f}) or required ({@code -g})
 * @param timeout limit on connecting to the target and on the handshake ({@code -o})
 * @param maxConnections simultaneous connections, 0 = no limit ({@code -n})
 * @param keepAlive SO_KEEPALIVE on both sockets; {@code -j} turns it off
 * @param reResolveInterval how often to look up the target's host name again ({@code -r}); empty =
 *     never ({@code -R})
 * @param bindAddress the local address of outgoing connections ({@code -b}); empty = any
 * @param waitForDns retry failed lookups at start instead of failing ({@code -D})
 */
public record PipeSettings(
    String name,
    Mode mode,
    Endpoint source,
    Endpoint target,
    List<ProtocolKey> keys,
    ForwardSecrecy forwardSecrecy,
    Duration timeout,
    int maxConnections,
    boolean keepAlive,
    Optional<Duration> reResolveInterval,
    Optional<Endpoint> bindAddress,
    boolean waitForDns) {

  public PipeSettings {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(target, "target");
    keys = List.copyOf(keys);
    Objects.requireNonNull(forwardSecrecy, "forwardSecrecy");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(reResolveInterval, "reResolveInterval");
    Objects.requireNonNull(bindAddress, "bindAddress");
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("pipe '" + name + "' has no key");
    }
  }

  /** Everything but the keys, which are only counted: this goes into logs. */
  @Override
  public String toString() {
    return String.format(
        "PipeSettings[name=%s, mode=%s, source=%s, target=%s, keys=%d, forwardSecrecy=%s,"
            + " timeout=%s, maxConnections=%d, keepAlive=%s, reResolveInterval=%s,"
            + " bindAddress=%s, waitForDns=%s]",
        name,
        mode,
        source,
        target,
        keys.size(),
        forwardSecrecy,
        timeout,
        maxConnections,
        keepAlive,
        reResolveInterval,
        bindAddress,
        waitForDns);
  }
}
