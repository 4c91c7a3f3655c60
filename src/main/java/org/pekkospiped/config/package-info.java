/** HOCON settings: reading and validating {@code pekko-spiped { ... }} into typed records. */
package org.pekkospiped.config;
