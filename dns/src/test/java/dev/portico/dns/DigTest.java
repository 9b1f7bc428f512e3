package dev.portico.dns;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real {@code dig} (Debian's bind9-dnsutils) against the server; skipped where dig is missing. */
@Timeout(60)
class DigTest {

    @TempDir
    static Path dir;
    static DnsFixture dns;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dig")), "dig is not installed (apt-get install bind9-dnsutils)");
        dns = DnsFixture.start(dir);
    }

    @AfterAll
    static void stop() {
        if (dns != null) {
            dns.close();
        }
    }

    private static String dig(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/dig", "@127.0.0.1", "-p",
                String.valueOf(dns.address().getPort()), "+time=2", "+tries=1"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @ParameterizedTest
    @CsvSource({
        "www.example.test, A, 192.0.2.1",
        "www.example.test, AAAA, 2001:db8::1",
        "alias.example.test, A, www.example.test.",
        "example.test, NS, ns1.example.test.",
        "example.test, SOA, 2024010101",
        "example.test, MX, 10 mail.example.test.",
        "example.test, TXT, v=spf1 -all",
        "_sip._tcp.example.test, SRV, 10 60 5060 sip.example.test.",
        "1.2.0.192.in-addr.arpa, PTR, www.example.test.",
        "example.test, CAA, issue \"letsencrypt.org\"",
    })
    void answersEveryTypeOverUdpAndTcp(String name, String type, String expected) throws Exception {
        for (String transport : List.of("+notcp", "+tcp")) {
            String out = dig(transport, "+norec", name, type);
            assertThat(out).contains("status: NOERROR").contains(" aa").contains(expected);
        }
    }

    @Test
    void nxdomainShowsTheSoa() throws Exception {
        String out = dig("nope.example.test", "A");
        assertThat(out).contains("status: NXDOMAIN").contains("AUTHORITY: 1").contains("300\tIN\tSOA");
    }

    @Test
    void truncatedUdpFallsBackToTcp() throws Exception {
        String cut = dig("+ignore", "+bufsize=1232", "big.example.test", "TXT");
        assertThat(cut).contains(" tc").contains("ANSWER: 0");
        String retried = dig("+bufsize=1232", "big.example.test", "TXT");
        assertThat(retried).contains("ANSWER: 8");
    }

    @Test
    void refusedOutsideOurZones() throws Exception {
        assertThat(dig("www.example.com", "A")).contains("status: REFUSED");
    }
}
