/**
 * What a running pekko-spiped tells its operator in numbers: per-pipe counters and gauges in one
 * Micrometer registry, published over JMX and, when configured, as Prometheus text over HTTP.
 *
 * <p>Nothing here knows about streams or sockets: the pipe package reports events, and this
 * package names, tags and publishes them. docs/metrics-and-logs.md lists every meter.
 */
package org.pekkospiped.metrics;
