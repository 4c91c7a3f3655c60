/** The command line: a configuration file, spiped's own flags, keygen and spipe. */
package org.pekkospiped.cli;
