/**
 * The spiped wire protocol: key, handshake and packet crypto as plain computations over byte
 * arrays, with no I/O and no Pekko. JCA does the fast primitives; Bouncy Castle only PBKDF2.
 */
package org.pekkospiped.protocol;
