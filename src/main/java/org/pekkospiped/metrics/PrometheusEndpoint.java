package org.pekkospiped.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.pekkospiped.config.Endpoint;

/**
 * {@code GET /metrics} in Prometheus' text format, served by the JDK's own HTTP server on a few
 * threads that exist only while requests come in: each request is bounded in time, so clients
 * that stall cannot keep a scrape from being answered.
 */
final class PrometheusEndpoint {
  static final String PATH = "/metrics";

  /** Prometheus' text exposition format, version 0.0.4, which every scraper reads. */
  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final String MAX_REQUEST_TIME = "sun.net.httpserver.maxReqTime";
  private static final int MAX_REQUEST_SECONDS = 5;

  /**
   * Scrapes are rare and quick; threads enough that clients holding half-sent requests (each
   * for at most the request time limit) do not hold up the scrape. Idle ones go away.
   */
  private static final int THREADS = 16;

  private static final long IDLE_SECONDS = 30;

  private final HttpServer server;
  private final ExecutorService threads;

  private PrometheusEndpoint(HttpServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  static PrometheusEndpoint start(PrometheusMeterRegistry registry, Endpoint.Tcp address)
      throws IOException {
    boundRequestTime();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(address.host(), address.port()), 0);
    server.createContext(PATH, exchange -> answer(exchange, registry));

    ThreadPoolExecutor threads =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            IDLE_SECONDS,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            work -> {
              Thread t = new Thread(work, "pekko-spiped-metrics-http");
              t.setDaemon(true);
              return t;
            });
    threads.allowCoreThreadTimeOut(true);
    server.setExecutor(threads);
    server.start();
    return new PrometheusEndpoint(server, threads);
  }

  /**
   * The JDK's server reads a request on one of the executor's threads and by default waits for
   * it without limit, so a client that sends half a request would hold a thread for good: with
   * all of them held, nobody could scrape. Its own limit is a system property, read once when
   * the server's classes load; an operator's own setting wins.
   */
  private static void boundRequestTime() {
    if (System.getProperty(MAX_REQUEST_TIME) == null) {
      System.setProperty(MAX_REQUEST_TIME, String.valueOf(MAX_REQUEST_SECONDS));
    }
  }

  InetSocketAddress address() {
    return server.getAddress();
  }

  void stop() {
    server.stop(0);
    threads.shutdownNow();
  }

  private static void answer(HttpExchange exchange, PrometheusMeterRegistry registry)
      throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      if (!exchange.getRequestURI().getPath().equals(PATH)) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }

      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
