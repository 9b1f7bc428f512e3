package dev.portico.server.threexsd;

import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.YamlLoader;
import dev.portico.server.Cli;
import dev.portico.server.CliRun;
import dev.portico.server.TestTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ThreeXsdImporterTest {

    @TempDir
    Path dir;

    private Path sample() throws Exception {
        try (var in = getClass().getResourceAsStream("/threexsd/3xsd.conf")) {
            Path f = dir.resolve("3xsd.conf");
            Files.write(f, in.readAllBytes());
            return f;
        }
    }

    private static ConfigNode.MapNode map(ConfigNode n, String key) {
        return (ConfigNode.MapNode) ((ConfigNode.MapNode) n).entries().get(key);
    }

    private static String scalar(ConfigNode n, String key) {
        return ((ConfigNode.ScalarNode) ((ConfigNode.MapNode) n).entries().get(key)).text();
    }

    private static List<String> list(ConfigNode n, String key) {
        return ((ConfigNode.ListNode) ((ConfigNode.MapNode) n).entries().get(key)).items().stream()
                .map(i -> ((ConfigNode.ScalarNode) i).text()).toList();
    }

    @Test
    void convertsTheWebSectionToValidYaml() throws Exception {
        Path conf = sample();
        CliRun r = CliRun.run(TestTypes.all(), "import-3xsd", conf.toString());
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(r.err).isEmpty();

        ConfigNode root = new YamlLoader().load(r.out, "out.yaml");
        assertThat(scalar(map(root, "admin"), "listen")).isEqualTo("127.0.0.1:9090");
        ConfigNode web = map(map(root, "services"), "web");
        assertThat(scalar(web, "type")).isEqualTo("web");
        assertThat(scalar(web, "listen")).isEqualTo("0.0.0.0:8000");
        assertThat(scalar(web, "root")).isEqualTo("/srv/www");
        assertThat(list(web, "index")).containsExactly("index.html", "index.htm");
        assertThat(scalar(map(web, "mime_types"), "md")).isEqualTo("text/plain");
        assertThat(scalar(map(web, "mime_types"), "conf")).isEqualTo("text/plain");
        assertThat(scalar(map(web, "webdav"), "enabled")).isEqualTo("true");
        assertThat(list(map(web, "webdav"), "writers")).containsExactly("127.0.0.1", "10.23.4.10/31", "10.23.4.12/30",
                "10.23.4.16/30", "10.23.4.20/32");
        ConfigNode gzip = map(web, "gzip");
        assertThat(scalar(gzip, "enabled")).isEqualTo("true");
        assertThat(scalar(gzip, "min_size")).isEqualTo("1001");
        assertThat(scalar(gzip, "max_size")).isEqualTo("100000000");
        assertThat(list(gzip, "types")).containsExactly("html", "htm", "js", "css", "txt", "svg");
        assertThat(scalar(map(web, "expires"), "html")).isEqualTo("5m");
        assertThat(scalar(map(web, "expires"), "png")).isEqualTo("1d");
        assertThat(((ConfigNode.MapNode) web).entries()).doesNotContainKeys("xcache_ttl", "server_pipelining", "cache_all");
    }

    @Test
    void theOutputPassesCheckWithTheRealWebType() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        String conf = new String(getClass().getResourceAsStream("/threexsd/3xsd.conf").readAllBytes(), StandardCharsets.UTF_8)
                .replace("root = /srv/www", "root = " + www);
        conf = conf.substring(0, conf.indexOf("[3nsd]"));
        Path in = Files.writeString(dir.resolve("3xsd.conf"), conf);
        CliRun imported = CliRun.run(TestTypes.all(), "import-3xsd", in.toString(), "--listen", "127.0.0.1:8123");
        Path yaml = Files.writeString(dir.resolve("portico.yaml"), imported.out);

        CliRun check = CliRun.run(TestTypes.all(), "check", "-c", yaml.toString());

        assertThat(check.status).as(check + "\n" + imported.out).isZero();
        assertThat(check.out).isEqualTo(yaml + ": OK (1 service)\n");
    }

    @Test
    void webAndProxyConversionsPassCheckWithTheRealTypes() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        String conf = new String(getClass().getResourceAsStream("/threexsd/3xsd.conf").readAllBytes(), StandardCharsets.UTF_8)
                .replace("root = /srv/www", "root = " + www);
        conf = conf.substring(0, conf.indexOf("[3nsd]")) + conf.substring(conf.indexOf("[3zsd]"));
        Path in = Files.writeString(dir.resolve("3xsd.conf"), conf);
        CliRun imported = CliRun.run(TestTypes.all(), "import-3xsd", in.toString(), "--listen", "127.0.0.1:8123");
        Path yaml = Files.writeString(dir.resolve("portico.yaml"), imported.out);

        CliRun check = CliRun.run(dev.portico.server.ServiceTypes.of(new dev.portico.web.WebServiceType(),
                new dev.portico.proxy.ProxyServiceType()), "check", "-c", yaml.toString());

        assertThat(check.status).as(check + "\n" + imported.out).isZero();
        assertThat(check.out).isEqualTo(yaml + ": OK (2 services)\n");
    }

    @Test
    void explainsWhatWasNotConverted() throws Exception {
        Path conf = sample();
        String yaml = CliRun.run(TestTypes.all(), "import-3xsd", conf.toString()).out;
        assertThat(yaml)
                .contains("# server_pipelining = off (" + conf + " line 12): not needed: Portico always answers pipelined")
                .contains("# cache_all = yes (" + conf + " line 14): not converted")
                .contains("# domains = a.example.com,b.example.com (" + conf + " line 17): not converted: expected 'NAME = ttl,ip,...'")
                .contains("min_size: 1001  # gzip_size = 1k (3xsd sizes are decimal: 1000 bytes)")
                .contains("# 3xsd took its port from the command line (-p, default 8000)");
    }

    @Test
    void convertsTheProxySectionWithTheCacheTtlFromTheWebSection() throws Exception {
        Path conf = sample();
        String yaml = CliRun.run(TestTypes.all(), "import-3xsd", conf.toString()).out;
        ConfigNode proxy = map(map(new YamlLoader().load(yaml, "out.yaml"), "services"), "proxy");
        assertThat(scalar(proxy, "type")).isEqualTo("proxy");
        assertThat(list(proxy, "listen")).containsExactly("0.0.0.0:8001");
        ConfigNode pools = map(proxy, "pools");
        assertThat(((ConfigNode.MapNode) pools).entries()).containsOnlyKeys("example.com", "vm0");
        assertThat(list(map(pools, "example.com"), "backends")).containsExactly("127.0.0.1:80", "127.0.0.2:80",
                "127.0.0.10:8000", "127.0.0.11:8000", "127.0.0.12:8000");
        assertThat(list(map(pools, "vm0"), "backends")).containsExactly("127.0.0.3:80");
        assertThat(scalar(map(pools, "vm0"), "health")).isEqualTo("tcp");
        assertThat(scalar(map(proxy, "transparent"), "ttl")).isEqualTo("100s");
        assertThat(list(map(proxy, "transparent"), "allow")).isEmpty();
        assertThat(scalar(map(map(proxy, "cache"), "default_ttl"), "*")).isEqualTo("10s");
        assertThat(yaml)
                .contains("# xcache_ttl = 10 (" + conf + " line 7): the proxy's cache default_ttl below")
                .contains("# backend_port = 8000 (" + conf + " line 24): no usable backend; left out")
                .contains("# broken = soon,127.0.0.4 (" + conf + " line 25): not converted: expected 'HOST = ttl,backend,...'")
                .contains("3xsd ran 3zsd as its own process (-z)")
                .contains("      vm0:  # ttl 30 (" + conf + " line 22)");
    }

    @Test
    void aProxyOnlyFileTakesTheListenFlagAndDefaultsTheCacheTtl() throws Exception {
        String yaml = new ThreeXsdImporter("z.conf", "127.0.0.1:8080").convert("""
                [3zsd]
                * = 100,127.0.0.1:8080,127.0.0.5-6
                bad.example = 100,127.0.0.1:99999,0.0.0.0:0
                """);
        ConfigNode proxy = map(map(new YamlLoader().load(yaml, "y"), "services"), "proxy");
        assertThat(list(proxy, "listen")).containsExactly("127.0.0.1:8080");
        assertThat(list(map(map(proxy, "pools"), "*"), "backends")).containsExactly("127.0.0.1:8080", "127.0.0.5:80", "127.0.0.6:80");
        assertThat(scalar(map(map(proxy, "cache"), "default_ttl"), "*")).isEqualTo("5s");
        assertThat(yaml).contains("'127.0.0.1:99999': the port must be a number from 0 to 65535; left out")
                .contains("0.0.0.0:0 (resolve the Host) only works as the '*' entry's single backend; left out")
                .doesNotContain("services:\n  web:");
    }

    @Test
    void listenFlagAndEmptyRoot() {
        String yaml = new ThreeXsdImporter("x.conf", "127.0.0.1:8080").convert("[3wsd]\nroot =\ngzip = off\nxcache_ttl = 3\n");
        assertThat(yaml).contains("    listen: 127.0.0.1:8080\n", "    root: .\n", "    gzip:\n      enabled: false\n",
                "    index: [index.html, index.htm]\n", "# 3xsd served its working directory (-d)",
                "# xcache_ttl = 3 (x.conf line 4): no direct equivalent");
        assertThat(yaml).doesNotContain("took its port");
    }

    @Test
    void sizesThatAreExactBinaryMultiplesUseSuffixes() {
        String yaml = new ThreeXsdImporter("x.conf", null).convert("[3wsd]\ngzip_size = 1023\ngzip_max_size = 2g\n");
        assertThat(yaml).contains("      min_size: 1k  #").contains("      max_size: 2000000000  #")
                .contains("# 3xsd had gzip off unless 'gzip = on'.", "      enabled: false");
    }

    @Test
    void badItemsAreLeftOutWithAComment() throws Exception {
        String yaml = new ThreeXsdImporter("x.conf", null).convert("""
                [3wsd]
                writers = 10.0.0.300,10.0.0.5-2,10.0.0.7
                gzip_size = lots
                expire_types = html:soon,css:1h
                mime_types = md
                """);
        assertThat(yaml).contains("'10.0.0.300' has an octet out of range; left out")
                .contains("'10.0.0.5-2': the range end must be between 5 and 255; left out")
                .contains("'lots' is not a 3xsd size")
                .contains("'soon' is not a duration")
                .contains("the pair 'md' is not ext:type");
        ConfigNode web = map(map(new YamlLoader().load(yaml, "y"), "services"), "web");
        assertThat(list(map(web, "webdav"), "writers")).containsExactly("10.0.0.7");
        assertThat(scalar(map(web, "expires"), "css")).isEqualTo("1h");
    }

    @Test
    void aFileWithNoConvertibleSectionFails() throws Exception {
        Path f = Files.writeString(dir.resolve("xdd.conf"), "[3xdd]\na = b\n", StandardCharsets.UTF_8);
        CliRun r = CliRun.run(TestTypes.all(), "import-3xsd", f.toString());
        assertThat(r.status).isEqualTo(Cli.FAILED);
        assertThat(r.out).isEmpty();
        assertThat(r.err).contains("has no section that import-3xsd converts ([3wsd], [3nsd], [3zsd], [3fsd], [3wdd]; "
                + "found: [[3xdd]])");
        assertThat(CliRun.run(TestTypes.all(), "import-3xsd", dir.resolve("none").toString()).err).contains("cannot read");
    }

    /** 3wdd's own sample lines (server and client sessions, routes with a metric, scripts, lzo, relay). */
    private static final String WDD = """
            [3wdd]
            mode = hybird
            encrypt = off
            dial = warp4
            relay = warp2:warp1,warp0:warp1
            routing_metric = on
            warp1 = 10.19.27.1:10.19.27.20:1380:1000:ddw3~):
            warp2 = 10.19.37.1:10.19.37.2:1380:1000:ddw3~):aes-128-cbc
            warp3 = 10.19.47.1:10.19.47.2:1380:1000:ddw3~):off,lzo:10.19.0.0/19
            warp4 = 10.19.27.2:10.19.27.1:1380:1000:ddw3~):aes-128-cbc,lzo:hostname::10.19.0.0/19/100,192.30.252.0/22,ifup=UP,ifdown=DOWN,rtch=RTCH
            """;

    @Test
    void converts3wddIntoATunnelServiceThatPassesCheckOnceTheFingerprintIsPinned() throws Exception {
        Path script = Files.writeString(dir.resolve("up.sh"), "#!/bin/sh\nexit 0\n");
        script.toFile().setExecutable(true);
        Path in = Files.writeString(dir.resolve("3wdd.conf"), WDD.replace("=UP", "=" + script)
                .replace("=DOWN", "=" + script).replace("=RTCH", "=" + script));
        CliRun imported = CliRun.run(TestTypes.all(), "import-3xsd", in.toString());
        assertThat(imported.status).as(imported.toString()).isZero();
        String yaml = imported.out;
        ConfigNode warp = map(map(new YamlLoader().load(yaml, "out.yaml"), "services"), "warp");
        assertThat(scalar(warp, "type")).isEqualTo("tunnel");
        assertThat(scalar(warp, "mode")).isEqualTo("hybrid");
        assertThat(list(warp, "listen")).containsExactly("0.0.0.0:9000");
        assertThat(list(warp, "dial")).containsExactly("warp4");
        assertThat(list(warp, "relay")).containsExactly("warp2:warp1");
        assertThat(scalar(warp, "routing_metric")).isEqualTo("on");
        ConfigNode sessions = map(warp, "sessions");
        assertThat(((ConfigNode.MapNode) sessions).entries()).containsOnlyKeys("warp1", "warp2", "warp3", "warp4");
        assertThat(scalar(map(sessions, "warp1"), "peer")).isEqualTo("10.19.27.20");
        assertThat(scalar(map(sessions, "warp1"), "token")).isEqualTo("ddw3~)");
        assertThat(scalar(map(sessions, "warp3"), "compress")).isEqualTo("lz4");
        assertThat(list(map(sessions, "warp3"), "routes")).containsExactly("10.19.0.0/19");
        ConfigNode client = map(sessions, "warp4");
        assertThat(scalar(client, "target")).isEqualTo("hostname:9000");
        assertThat(list(client, "routes")).containsExactly("10.19.0.0/19/100", "192.30.252.0/22");
        assertThat(scalar(client, "rtch")).isEqualTo(script.toString());
        assertThat(scalar(client, "compress")).isEqualTo("lz4");
        assertThat(yaml).contains("# mode = hybird (" + in + " line 2): 3wdd's spelling of hybrid")
                .contains("# encrypt = off (" + in + " line 3): replaced by QUIC's TLS 1.3")
                .contains("'warp0:warp1' names a session that has no line here; left out")
                .contains("# encrypt aes-128-cbc: replaced by TLS 1.3")
                .contains("# lzo: replaced by LZ4")
                .contains("# encrypt off: every session is encrypted now, with TLS 1.3");

        Path out = Files.writeString(dir.resolve("portico.yaml"), yaml);
        CliRun unpinned = CliRun.run(dev.portico.server.ServiceTypes.of(new dev.portico.tunnel.TunnelServiceType()),
                "check", "-c", out.toString());
        assertThat(unpinned.status).as(unpinned + "\n" + yaml).isNotZero();
        assertThat(unpinned.out + unpinned.err).contains("session 'warp4': a client session needs server_fingerprint");
        String pinned = yaml.replace("# server_fingerprint: SHA256-HEX   (or server_ca: FILE)",
                "server_fingerprint: " + "ab".repeat(32));
        assertThat(pinned).isNotEqualTo(yaml);
        Files.writeString(out, pinned);
        CliRun check = CliRun.run(dev.portico.server.ServiceTypes.of(new dev.portico.tunnel.TunnelServiceType()),
                "check", "-c", out.toString());
        assertThat(check.status).as(check + "\n" + pinned).isZero();
        assertThat(check.out).isEqualTo(out + ": OK (1 service)\n");
    }

    private static final String FSD = """
            [3fsd]
            vm0 = 0,127.0.0.1:80,127.0.0.2:80,127.0.0.3:80
            img.example = 0,10.37.10.1-10:80,10.38.10.1-3:8000;1,10.41.0.1-20
            pool = 0,127.0.0.9,127.0.0.8
            redundancy = 2
            region = 256
            prefix = _3fs
            stage = 1
            write_permit = 127.0.0.1,10.23.4.10-20
            broken = soon,127.0.0.4
            """;

    @Test
    void converts3fsdIntoAFilestoreServiceThatPassesCheck() throws Exception {
        Path in = Files.writeString(dir.resolve("3xsd.conf"), FSD);
        CliRun imported = CliRun.run(TestTypes.all(), "import-3xsd", in.toString(), "--listen", "127.0.0.1:8124");
        assertThat(imported.status).as(imported.toString()).isZero();
        String yaml = imported.out;
        ConfigNode fs = map(map(new YamlLoader().load(yaml, "out.yaml"), "services"), "files");
        assertThat(scalar(fs, "type")).isEqualTo("filestore");
        assertThat(list(fs, "listen")).containsExactly("127.0.0.1:8124");
        assertThat(scalar(fs, "redundancy")).isEqualTo("2");
        assertThat(scalar(fs, "region")).isEqualTo("256");
        assertThat(scalar(fs, "prefix")).isEqualTo("_3fs");
        assertThat(list(fs, "write_permit")).containsExactly("127.0.0.1", "10.23.4.10/31", "10.23.4.12/30",
                "10.23.4.16/30", "10.23.4.20/32");
        ConfigNode pools = map(fs, "pools");
        assertThat(((ConfigNode.MapNode) pools).entries()).containsOnlyKeys("vm0", "img.example", "*");
        // 3fsd's global stage 1: the current stage where a pool has it, else the pool's highest below it
        assertThat(scalar(map(pools, "img.example"), "stage")).isEqualTo("1");
        assertThat(scalar(map(pools, "vm0"), "stage")).isEqualTo("0");
        assertThat(yaml).contains("{stage: 0, nodes: [10.37.10.1-10:80, 10.38.10.1-3:8000]}")
                .contains("{stage: 1, nodes: [10.41.0.1-20:80]}")
                .contains("{stage: 0, nodes: [127.0.0.9:80, 127.0.0.8:80]}")
                .contains("the older 'pool =' form: every Host")
                .contains("# broken = soon,127.0.0.4 (" + in + " line 10): 'soon,127.0.0.4' does not start with a stage number")
                .contains("'write_quorum: 1' is 3fsd's behaviour");

        Path out = Files.writeString(dir.resolve("portico.yaml"), yaml);
        CliRun check = CliRun.run(dev.portico.server.ServiceTypes.of(new dev.portico.filestore.FilestoreServiceType()),
                "check", "-c", out.toString());
        assertThat(check.status).as(check + "\n" + yaml).isZero();
        assertThat(check.out).isEqualTo(out + ": OK (1 service)\n");
    }

    @Test
    void a3fsdLayoutPorticoRefusesIsKeptAndExplained() throws Exception {
        String yaml = new ThreeXsdImporter("f.conf", null).convert("""
                [3wsd]
                root = /srv
                xcache_ttl = 30
                [3fsd]
                vm0 = 0,127.0.0.1-3
                region = 100
                """);
        ConfigNode fs = map(map(new YamlLoader().load(yaml, "y"), "services"), "files");
        assertThat(scalar(fs, "region")).isEqualTo("100");
        assertThat(list(fs, "listen")).containsExactly("0.0.0.0:8002");
        assertThat(scalar(map(map(fs, "cache"), "default_ttl"), "*")).isEqualTo("30s");
        assertThat(yaml).contains("region 100 skews placement").contains("redundancy was not set; Portico's default, 2")
                .contains("3fsd had no write_permit").contains("3xsd ran 3fsd as its own process");
    }

    private static final String NSD = """
            [3nsd]
            a.i.3xsd.net   = 100,10.23.4.123,10.23.4.124-126
            _a.i.3xsd.net  = 60,10.23.4.11,10.23.4.17
            __a.i.3xsd.net = 5,10.23.4.5
            geoip_db = GeoLite2-Country.mmdb
            b.i.3xsd.net = 100,10.23.4.10
            b.i.3xsd.net@AS/CN = 100,10.23.4.123
            b.i.3xsd.net@us = 30,10.23.4.124
            c.i.3xsd.net@EU = 100,10.23.4.1
            left = l.3xsd.net
            right = r.3xsd.net
            range = left
            range_suffix = i.3xsd.net
            lr_ttl = 1800
            ga.i.3xsd.net = 100,0.0.0.0
            ga.l.3xsd.net = 99,127.0.0.1
            ga.r.3xsd.net = 100,127.0.0.2
            www.other.example = 300,192.0.2.7,10.0.0.300
            broken = soon
            """;

    @Test
    void convertsThe3nsdSectionAloneIntoADnsService() throws Exception {
        String yaml = new ThreeXsdImporter("n.conf", null).convert(NSD);
        ConfigNode dns = map(map(new YamlLoader().load(yaml, "y"), "services"), "dns");
        assertThat(scalar(dns, "type")).isEqualTo("dns");
        assertThat(list(dns, "listen")).containsExactly("0.0.0.0:53");
        assertThat(((ConfigNode.MapNode) map(dns, "zones")).entries()).containsOnlyKeys("3xsd.net", "other.example");
        assertThat(scalar(map(dns, "zones"), "3xsd.net")).isEqualTo("3xsd.net.zone");
        assertThat(scalar(dns, "geoip_db")).isEqualTo("GeoLite2-Country.mmdb");

        ConfigNode dynamic = map(dns, "dynamic");
        assertThat(((ConfigNode.MapNode) dynamic).entries()).containsOnlyKeys("a.i.3xsd.net", "_a.i.3xsd.net", "__a.i.3xsd.net",
                "b.i.3xsd.net", "ga.l.3xsd.net", "ga.r.3xsd.net", "www.other.example");
        ConfigNode a = map(dynamic, "a.i.3xsd.net");
        assertThat(scalar(a, "ttl")).isEqualTo("100");
        assertThat(list(a, "addresses")).containsExactly("10.23.4.123", "10.23.4.124", "10.23.4.125", "10.23.4.126");
        assertThat(scalar(map(a, "health"), "type")).isEqualTo("icmp");
        assertThat(scalar(map(a, "health"), "interval")).isEqualTo("100s");
        assertThat(scalar(map(map(dynamic, "__a.i.3xsd.net"), "health"), "interval")).as("3nsd's 10 s probe loop").isEqualTo("10s");
        assertThat(list(map(map(dynamic, "b.i.3xsd.net"), "geo"), "AS/CN")).containsExactly("10.23.4.123");
        assertThat(list(map(map(dynamic, "b.i.3xsd.net"), "geo"), "US")).containsExactly("10.23.4.124");
        assertThat(list(map(dynamic, "www.other.example"), "addresses")).containsExactly("192.0.2.7");

        ConfigNode lrrr = map(dns, "lrrr");
        assertThat(scalar(lrrr, "side")).isEqualTo("left");
        assertThat(scalar(lrrr, "left")).isEqualTo("l.3xsd.net");
        assertThat(scalar(lrrr, "right")).isEqualTo("r.3xsd.net");
        assertThat(scalar(lrrr, "suffix")).isEqualTo("i.3xsd.net");
        assertThat(list(lrrr, "names")).containsExactly("ga.i.3xsd.net");
        assertThat(scalar(lrrr, "rtt_ttl")).isEqualTo("30m");
        assertThat(scalar(lrrr, "answer_ttl")).isEqualTo("99");

        assertThat(yaml)
                .contains("# Portico config converted from n.conf [3nsd] by 'portico import-3xsd'.")
                .contains("3xsd ran 3nsd as its own process (-i) on port 53")
                .contains("US: [10.23.4.124]  # n.conf line 8; 3nsd answered it with TTL 30, Portico with the record's")
                .contains("# c.i.3xsd.net@eu = 100,10.23.4.1 (n.conf line 9): no plain 'c.i.3xsd.net = ttl,ip,...' entry")
                .contains("'10.0.0.300' has an octet out of range; left out")
                .contains("# broken = soon (n.conf line 19): not converted: expected 'NAME = ttl,ip,...'")
                .contains("#   @    3600 IN SOA ns1 hostmaster")
                .doesNotContain("services:\n  web:").doesNotContain("not converted; import-3xsd reads");
    }

    @Test
    void incompleteLrrrKeysAndBadValuesBecomeComments() throws Exception {
        String yaml = new ThreeXsdImporter("n.conf", "127.0.0.1:5353").convert("""
                [3nsd]
                left = l.example.test
                range = middle
                lr_prefix = l-r
                ga.i.example.test = 100,0.0.0.0
                www.example.test@nowhere = 100,192.0.2.1
                www.example.test = 60,192.0.2.1
                """);
        ConfigNode dns = map(map(new YamlLoader().load(yaml, "y"), "services"), "dns");
        assertThat(list(dns, "listen")).as("the --listen flag when 3nsd is alone").containsExactly("127.0.0.1:5353");
        assertThat(((ConfigNode.MapNode) dns).entries()).doesNotContainKeys("lrrr", "geoip_db");
        assertThat(((ConfigNode.MapNode) map(dns, "dynamic")).entries()).containsOnlyKeys("www.example.test");
        assertThat(yaml).contains("# left = l.example.test (n.conf line 2): LRRR not converted: it needs right, range_suffix")
                .contains("# ga.i.example.test = 100,0.0.0.0 (n.conf line 5): 0.0.0.0 marks an LRRR name")
                .contains("'NOWHERE' is not a list of continent or country codes");
    }

    @Test
    void singleLabelNamesAreTakenRelativeToTheZoneOfTheOtherNames() throws Exception {
        String yaml = new ThreeXsdImporter("n.conf", null).convert("""
                [3nsd]
                mail.example.test = 60,192.0.2.1
                www = 60,10.0.0.1
                """);
        ConfigNode dns = map(map(new YamlLoader().load(yaml, "y"), "services"), "dns");
        assertThat(((ConfigNode.MapNode) map(dns, "zones")).entries()).containsOnlyKeys("example.test");
        assertThat(((ConfigNode.MapNode) map(dns, "dynamic")).entries())
                .containsOnlyKeys("mail.example.test", "www.example.test");
        assertThat(list(map(map(dns, "dynamic"), "www.example.test"), "addresses")).containsExactly("10.0.0.1");
        assertThat(yaml).contains("# www = 60,10.0.0.1 (n.conf line 3): a single label, taken relative to the zone "
                + "example.test: www.example.test");
    }

    @Test
    void aSingleLabelNameWithNoZoneToBelongToIsExplained() throws Exception {
        String yaml = new ThreeXsdImporter("n.conf", null).convert("""
                [3nsd]
                www = 60,10.0.0.1
                """);
        assertThat(yaml).contains("# www = 60,10.0.0.1 (n.conf line 2): 'www' is a single label and no other name "
                + "tells the zone it belongs to; write the full name (example: www.example.com = 60,10.0.0.1); not converted");
    }

    @Test
    void geoVariantsWithoutAGeoipDbStayComments() throws Exception {
        String yaml = new ThreeXsdImporter("n.conf", null).convert("""
                [3nsd]
                www.example.test = 60,192.0.2.1
                www.example.test@CN = 60,192.0.2.2
                """);
        ConfigNode www = map(map(map(map(new YamlLoader().load(yaml, "y"), "services"), "dns"), "dynamic"), "www.example.test");
        assertThat(((ConfigNode.MapNode) www).entries()).doesNotContainKey("geo");
        assertThat(yaml).contains("# 3nsd used these variants only with geoip_db set:").contains("#   CN: [192.0.2.2]");
    }

    @Test
    void a3nsdConversionPassesCheckWithTheRealDnsType() throws Exception {
        Path in = Files.writeString(dir.resolve("3xsd.conf"), NSD);
        CliRun imported = CliRun.run(TestTypes.all(), "import-3xsd", in.toString(), "--listen", "127.0.0.1:5353");
        assertThat(imported.status).as(imported.toString()).isZero();
        Path yaml = Files.writeString(dir.resolve("portico.yaml"), imported.out);
        var types = dev.portico.server.ServiceTypes.of(new dev.portico.dns.DnsServiceType());
        CliRun unwritten = CliRun.run(types, "check", "-c", yaml.toString());
        assertThat(unwritten.err.lines()).as("the zone files the conversion asks for are not written yet")
                .anySatisfy(l -> assertThat(l).contains("3xsd.net.zone: no such file"))
                .anySatisfy(l -> assertThat(l).contains("other.example.zone: no such file"));
        for (String zone : java.util.List.of("3xsd.net", "other.example")) {
            Files.writeString(dir.resolve(zone + ".zone"), "$ORIGIN " + zone + ".\n$TTL 300\n"
                    + "@ IN SOA ns1 hostmaster 1 7200 900 1209600 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n");
        }
        CliRun check = CliRun.run(types, "check", "-c", yaml.toString());
        assertThat(check.status).as(check + "\n" + imported.out).isZero();
        assertThat(check.out).isEqualTo(yaml + ": OK (1 service)\n");
    }

    @Test
    void iniSyntax() {
        IniFile ini = IniFile.parse("""
                # comment
                ; another
                [a]
                Key = value   # inline
                other: x;y
                long = one,
                  two
                """);
        Map<String, IniFile.Entry> a = ini.section("a").orElseThrow().entries();
        assertThat(a.get("key").value()).isEqualTo("value");
        assertThat(a.get("key").line()).isEqualTo(4);
        assertThat(a.get("other").value()).isEqualTo("x;y");
        assertThat(a.get("long").value()).isEqualTo("one,\ntwo");
        assertThatThrownBy(() -> IniFile.parse("k = v\n")).hasMessageContaining("line 1: option before the first [section]");
        assertThatThrownBy(() -> IniFile.parse("[a]\njunk\n")).hasMessageContaining("line 2: expected 'key = value'");
    }

    @Test
    void decimalSizes() {
        assertThat(ThreeXsdImporter.decimalSize("1000")).isEqualTo(1000);
        assertThat(ThreeXsdImporter.decimalSize("1k")).isEqualTo(1000);
        assertThat(ThreeXsdImporter.decimalSize("1K")).isEqualTo(1000);
        assertThat(ThreeXsdImporter.decimalSize("1.5m")).isEqualTo(1_500_000);
        assertThat(ThreeXsdImporter.decimalSize("2G")).isEqualTo(2_000_000_000L);
        assertThatThrownBy(() -> ThreeXsdImporter.decimalSize("-1k")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ThreeXsdImporter.decimalSize("k")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void yamlQuoting() {
        assertThat(YamlText.string("index.html")).isEqualTo("index.html");
        assertThat(YamlText.string("on")).isEqualTo("\"on\"");
        assertThat(YamlText.string("10")).isEqualTo("\"10\"");
        assertThat(YamlText.string("1:20")).isEqualTo("\"1:20\"");
        assertThat(YamlText.string("a b")).isEqualTo("\"a b\"");
        assertThat(YamlText.string("say \"x\"")).isEqualTo("\"say \\\"x\\\"\"");
        assertThat(YamlText.string("#x")).isEqualTo("\"#x\"");
    }
}
