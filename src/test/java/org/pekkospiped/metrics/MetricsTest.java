package org.pekkospiped.metrics;

import static java.nio.charset.StandardCharsets.UTF_8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.ArrayList;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pekkospiped.config.PipeSettings;
import org.pekkospiped.config.SettingsException;
import org.pekkospiped.config.SpipedSettings;
import org.pekkospiped.protocol.HandshakeFailure;

class MetricsTest {
  @TempDir Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void pipeMetrics_newPipe_everyMeterRegisteredAtZero() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new PipeMetrics(registry, "web", 100);

    assertEquals(0, registry.get(PipeMetrics.ACCEPTED).tag("pipe", "web").counter().count());
    assertEquals(0, registry.get(PipeMetrics.ACTIVE).tag("pipe", "web").gauge().value());
    assertEquals(100, registry.get(PipeMetrics.LIMIT).tag("pipe", "web").gauge().value());
    assertEquals(0, registry.get(PipeMetrics.LIMIT_REACHED).counter().count());
    assertEquals(0, registry.get(PipeMetrics.TARGET_CONNECT_FAILURES).counter().count());
    assertEquals(
        HandshakeFailure.values().length,
        registry.get(PipeMetrics.HANDSHAKES_FAILED).counters().size());
    assertEquals(
        PipeMetrics.Drop.values().length, registry.get(PipeMetrics.DROPPED).counters().size());
    assertEquals(2, registry.get(PipeMetrics.PLAINTEXT_BYTES).functionCounters().size());
  }

  @Test
  void pipeMetrics_events_countedUnderTheirTags() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PipeMetrics web = new PipeMetrics(registry, "web", 100);

    web.connectionAccepted();
    web.connectionAccepted();
    web.connectionClosed();
    web.handshakeFailed(HandshakeFailure.WEAK_PEER_REFUSED);
    web.dropped(PipeMetrics.Drop.TRUNCATED_PACKET);
    web.sourceToTarget(1000);
    web.sourceToTarget(24);
    web.targetToSource(7);

    assertEquals(2, registry.get(PipeMetrics.ACCEPTED).counter().count());
    assertEquals(1, registry.get(PipeMetrics.ACTIVE).gauge().value());
    assertEquals(
        1,
        registry
            .get(PipeMetrics.HANDSHAKES_FAILED)
            .tag("reason", "weak_peer_refused")
            .counter()
            .count());
    assertEquals(
        1,
        registry.get(PipeMetrics.DROPPED).tag("reason", "truncated_packet").counter().count());
    assertEquals(
        1024,
        registry
            .get(PipeMetrics.PLAINTEXT_BYTES)
            .tag("direction", "source_to_target")
            .functionCounter()
            .count());
    assertEquals(
        7,
        registry
            .get(PipeMetrics.PLAINTEXT_BYTES)
            .tag("direction", "target_to_source")
            .functionCounter()
            .count());
  }

  @Test
  void metrics_samePipeAskedTwice_sameMeters() throws IOException {
    SpipedSettings settings = settings("");
    try (Metrics metrics = Metrics.start(settings)) {
      PipeSettings web = settings.pipes().get(0);

      metrics.pipe(web).connectionAccepted();

      assertEquals(1, metrics.pipe(web).active());
      assertEquals(1, metrics.registry().get(PipeMetrics.ACTIVE).gauge().value());
    }
  }

  @Test
  void prometheusEndpoint_get_textFormatWithPipeMeters() throws Exception {
    SpipedSettings settings = settings("[127.0.0.1]:0");
    try (Metrics metrics = Metrics.start(settings)) {
      PipeMetrics web = metrics.pipe(settings.pipes().get(0));
      web.connectionAccepted();
      web.sourceToTarget(512);

      HttpResponse<String> response = get(metrics.prometheusAddress().orElseThrow(), "/metrics");

      assertEquals(200, response.statusCode());
      assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      String body = response.body();
      assertTrue(body.contains("spiped_connections_accepted_total{pipe=\"web\"} 1.0"), body);
      assertTrue(body.contains("spiped_connections_active{pipe=\"web\"} 1.0"), body);
      assertTrue(
          body.contains(
              "spiped_plaintext_bytes_total{direction=\"source_to_target\",pipe=\"web\"} 512.0"),
          body);
      assertTrue(
          body.contains("spiped_handshakes_failed_total{pipe=\"web\",reason=\"bad_mac\"} 0.0"),
          body);
      assertTrue(body.contains("jvm_memory_used_bytes"), body);
    }
  }

  @Test
  void prometheusEndpoint_otherPathOrMethod_refused() throws Exception {
    try (Metrics metrics = Metrics.start(settings("[127.0.0.1]:0"))) {
      InetSocketAddress address = metrics.prometheusAddress().orElseThrow();

      assertEquals(404, get(address, "/metricsx").statusCode());
      HttpRequest post =
          HttpRequest.newBuilder(uri(address, "/metrics"))
              .POST(HttpRequest.BodyPublishers.ofString("x"))
              .build();
      assertEquals(405, http.send(post, HttpResponse.BodyHandlers.discarding()).statusCode());
    }
  }

  @Test
  void prometheusEndpoint_clientsHoldingHalfARequest_scrapeStillAnswered() throws Exception {
    try (Metrics metrics = Metrics.start(settings("[127.0.0.1]:0"))) {
      InetSocketAddress address = metrics.prometheusAddress().orElseThrow();
      List<Socket> stalled = new ArrayList<>();
      try {
        // More than one thread's worth: the endpoint once had a single thread, held by the first.
        for (int i = 0; i < 6; i++) {
          Socket socket = new Socket(address.getAddress(), address.getPort());
          socket.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(UTF_8));
          stalled.add(socket);
        }

        HttpRequest scrape =
            HttpRequest.newBuilder(uri(address, "/metrics")).timeout(Duration.ofSeconds(3)).build();
        assertEquals(200, http.send(scrape, HttpResponse.BodyHandlers.discarding()).statusCode());
      } finally {
        for (Socket socket : stalled) {
          socket.close();
        }
      }
    }
  }

  @Test
  void close_endpointStoppedAndJmxBeansGone() throws Exception {
    SpipedSettings settings = settings("[127.0.0.1]:0");
    Metrics metrics = Metrics.start(settings);
    metrics.pipe(settings.pipes().get(0));
    InetSocketAddress address = metrics.prometheusAddress().orElseThrow();
    assertFalse(jmxBeans().isEmpty(), "JMX beans while running");

    metrics.close();

    assertEquals(Set.of(), jmxBeans(), "JMX beans after close");
    assertThrows(ConnectException.class, () -> get(address, "/metrics"));
  }

  // Goal: a Unix socket path, which the endpoint cannot serve, stops the start instead of
  // leaving the daemon running without its metrics.
  @Test
  void settings_unixSocketEndpoint_refusedBeforeStart() {
    SettingsException refused =
        assertThrows(SettingsException.class, () -> settings("/tmp/pekko-spiped-metrics.sock"));

    assertTrue(
        refused.getMessage().startsWith("pekko-spiped.metrics.prometheus-endpoint: "),
        refused.getMessage());
  }

  private static Set<ObjectName> jmxBeans() throws Exception {
    return ManagementFactory.getPlatformMBeanServer()
        .queryNames(new ObjectName(Metrics.JMX_DOMAIN + ":*"), null);
  }

  private HttpResponse<String> get(InetSocketAddress address, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(uri(address, path)).GET().build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(InetSocketAddress address, String path) {
    return URI.create("http://127.0.0.1:" + address.getPort() + path);
  }

  private SpipedSettings settings(String prometheusEndpoint) throws IOException {
    Path key = dir.resolve("web.key");
    Files.write(key, new byte[] {1, 2, 3});
    String hocon =
        String.format(
            """
            pekko-spiped {
              metrics.prometheus-endpoint = "%s"
              pipes.web {
                mode = decrypt, source = "[127.0.0.1]:8025", target = "[127.0.0.1]:8080"
                key-file = "%s"
              }
            }
            """,
            prometheusEndpoint, key);
    return SpipedSettings.load(
        ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve());
  }
}
