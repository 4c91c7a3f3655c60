/**
 * End-to-end test fixtures: real spiped, spipe, nginx and curl processes, plaintext targets and
 * clients on 127.0.0.1, and {@link org.pekkospiped.it.PipePairScenarios}, the scenarios any pair of
 * pipe ends must pass.
 */
package org.pekkospiped.it;
