package org.pekkospiped.metrics;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.jmx.JmxConfig;
import io.micrometer.jmx.JmxMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.pekkospiped.config.Endpoint;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SpipedSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's metrics: one registry that publishes over JMX (domain {@code pekko-spiped}) and,
 * when {@code pekko-spiped.metrics.prometheus-endpoint} is set, as Prometheus text at {@code
 * /metrics} on that address. Also carries the JVM's own memory, GC, thread and CPU meters.
 */
public final class Metrics implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Metrics.class);

  /** The JMX domain under which every meter appears. */
  public static final String JMX_DOMAIN = "pekko-spiped";

  private final CompositeMeterRegistry registry;
  private final JvmGcMetrics gc;
  private final Optional<PrometheusEndpoint> endpoint;
  private final ConcurrentMap<String, PipeMetrics> pipes = new ConcurrentHashMap<>();

  private Metrics(
      CompositeMeterRegistry registry, JvmGcMetrics gc, Optional<PrometheusEndpoint> endpoint) {
    this.registry = registry;
    this.gc = gc;
    this.endpoint = endpoint;
  }

  /**
   * Creates the registry and starts the Prometheus endpoint if one is configured. An endpoint
   * that cannot be served is logged as an error and left out: metrics are no reason to keep the
   * pipes from running.
   */
  public static Metrics start(SpipedSettings settings) {
    CompositeMeterRegistry registry = new CompositeMeterRegistry();
    registry.add(new JmxMeterRegistry(jmxConfig(), Clock.SYSTEM));

    Optional<PrometheusEndpoint> endpoint = Optional.empty();
    if (settings.prometheusEndpoint().isPresent()) {
      PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      registry.add(prometheus);
      endpoint = serve(prometheus, settings.prometheusEndpoint().get());
    }

    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    return new Metrics(registry, gc, endpoint);
  }

  /** Every meter of the daemon, for reading them in-process. */
  public MeterRegistry registry() {
    return registry;
  }

  /** The meters of one pipe; the same instance every time it is asked for the same pipe. */
  public PipeMetrics pipe(PipeSettings pipe) {
    return pipes.computeIfAbsent(
        pipe.name(), name -> new PipeMetrics(registry, name, pipe.maxConnections()));
  }

  /** Where the Prometheus endpoint listens, once bound; empty when there is none. */
  public Optional<InetSocketAddress> prometheusAddress() {
    return endpoint.map(PrometheusEndpoint::address);
  }

  /** Stops the endpoint and unregisters every meter, JMX beans included. */
  @Override
  public void close() {
    endpoint.ifPresent(PrometheusEndpoint::stop);
    gc.close();
    registry.getRegistries().forEach(MeterRegistry::close);
    registry.close();
  }

  private static Optional<PrometheusEndpoint> serve(
      PrometheusMeterRegistry prometheus, Endpoint.Tcp tcp) {
    try {
      PrometheusEndpoint endpoint = PrometheusEndpoint.start(prometheus, tcp);
      log.info("metrics: serving Prometheus text on {} at {}", tcp, PrometheusEndpoint.PATH);
      return Optional.of(endpoint);
    } catch (IOException | RuntimeException e) {
      log.error("metrics: cannot serve Prometheus on {}: {}; not serving", tcp, e.toString());
      return Optional.empty();
    }
  }

  private static JmxConfig jmxConfig() {
    return new JmxConfig() {
      @Override
      public String get(String key) {
        return null;
      }

      @Override
      public String domain() {
        return JMX_DOMAIN;
      }
    };
  }
}
