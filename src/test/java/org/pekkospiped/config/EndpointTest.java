package org.pekkospiped.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointTest {

  @Test
  void parse_absolutePath_unixSocket() {
    assertEquals(
        new Endpoint.Unix(Path.of("/run/spiped/web.sock")), Endpoint.parse("/run/spiped/web.sock"));
  }

  @Test
  void parse_hostPort_resolvableHost() {
    assertEquals(new Endpoint.Tcp("example.com", 443, false), Endpoint.parse("example.com:443"));
  }

  @Test
  void parse_unbracketedIpv4_isAHostToResolve() {
    assertEquals(new Endpoint.Tcp("127.0.0.1", 80, false), Endpoint.parse("127.0.0.1:80"));
  }

  @Test
  void parse_bracketedIpv4_literal() {
    assertEquals(new Endpoint.Tcp("127.0.0.1", 8025, true), Endpoint.parse("[127.0.0.1]:8025"));
  }

  @Test
  void parse_bracketedIpv6_literal() {
    assertEquals(new Endpoint.Tcp("::1", 8025, true), Endpoint.parse("[::1]:8025"));
    assertEquals(
        new Endpoint.Tcp("2001:db8::8:800:200c:417a", 1, true),
        Endpoint.parse("[2001:db8::8:800:200c:417a]:1"));
  }

  @Test
  void parse_portZero_accepted() {
    assertEquals(new Endpoint.Tcp("127.0.0.1", 0, true), Endpoint.parse("[127.0.0.1]:0"));
  }

  @Test
  void parse_highestPort_accepted() {
    assertEquals(new Endpoint.Tcp("localhost", 65535, false), Endpoint.parse("localhost:65535"));
  }

  @Test
  void toString_rendersSpipedForm() {
    assertEquals("[::1]:80", Endpoint.parse("[::1]:80").toString());
    assertEquals("example.com:80", Endpoint.parse("example.com:80").toString());
    assertEquals("/tmp/s", Endpoint.parse("/tmp/s").toString());
  }

  @ParameterizedTest(name = "parse(\"{0}\") fails: {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        ":80                 | ':80' has no host before ':port'",
        "host:               | 'host:' has no port after ':'",
        "host:99999          | 'host:99999': port 99999 is out of range 0-65535",
        "host:http           | 'host:http': port 'http' is not a number from 0 to 65535",
        "host:-1             | 'host:-1': port '-1' is not a number from 0 to 65535",
        "host:123456         | 'host:123456': port '123456' is not a number from 0 to 65535",
        "[::1                | '[::1' has no closing ']' (expected [address]:port)",
        "[::1]               | '[::1]' has no ':port' after ']' (expected [address]:port)",
        "[::1]80             | '[::1]80' has no ':port' after ']' (expected [address]:port)",
        "[]:80               | '[]:80' has an empty address in brackets",
        "[example.com]:80    | '[example.com]:80': 'example.com' is not an IPv4 or IPv6 address",
        "[256.0.0.1]:80      | '[256.0.0.1]:80': '256.0.0.1' is not an IPv4 or IPv6 address",
        "[1.2.3]:80          | '[1.2.3]:80': '1.2.3' is not an IPv4 or IPv6 address",
        "[::g]:80            | '[::g]:80': '::g' is not an IPv4 or IPv6 address",
        "relative/path       | 'relative/path' is neither an absolute Unix socket path nor"
            + " host:port",
        "relative/path:80    | 'relative/path:80': 'relative/path' is not a host name",
        "::1:80              | '::1:80': write an IPv6 address in brackets, as [address]:port",
        "host                | 'host' is neither an absolute Unix socket path nor host:port",
      })
  void parse_malformed_messageSaysWhatIsWrong(String spec, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(spec));
    assertEquals(message, e.getMessage());
  }

  @Test
  void parse_empty_refused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(""));
    assertEquals(
        "empty address (expected /unix/socket, host:port, [v4]:port or [v6]:port)", e.getMessage());
  }

  @Test
  void parse_unixPathLongerThanSunPath_refused() {
    String spec = "/" + "s".repeat(107);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(spec));
    assertEquals(
        "'" + spec + "' is longer than 107 bytes, the limit for a Unix socket path",
        e.getMessage());
  }

  @ParameterizedTest(name = "parseBindAddress(\"{0}\") = {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.1          | 10.0.0.1:0",
        "10.0.0.1:4000     | 10.0.0.1:4000",
        "[10.0.0.1]        | [10.0.0.1]:0",
        "::1               | [::1]:0",
        "[::1]             | [::1]:0",
        "[::1]:4000        | [::1]:4000",
        "example.com       | example.com:0",
      })
  void parseBindAddress_spipedForms_portDefaultsToZero(String spec, String expected) {
    assertEquals(expected, Endpoint.parseBindAddress(spec).toString());
  }

  @Test
  void parseBindAddress_unixPath_refused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parseBindAddress("/tmp/s"));
    assertEquals(
        "'/tmp/s' is a Unix socket path; a bind address must be an IP address or host name",
        e.getMessage());
  }
}
