package dev.portico.filestore;

import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import dev.portico.web.WebConfig;
import dev.portico.web.WebServiceType;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Portico web services with WebDAV writes on, as storage nodes, and a client for a router in front. */
final class StoreHarness {

    final PorticoExtension portico;
    final List<Path> roots = new ArrayList<>();
    final List<RunningService> nodes = new ArrayList<>();
    /** Each node's address, kept when the node stops. */
    final List<String> addresses = new ArrayList<>();
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    StoreHarness(PorticoExtension portico) {
        this.portico = portico;
    }

    /** Starts {@code count} WebDAV nodes, each with its own root under {@code dir}. */
    StoreHarness nodes(Path dir, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            int n = roots.size();
            Path root = Files.createDirectories(dir.resolve("node" + n));
            roots.add(root);
            RunningService node = portico.start(new WebServiceType(), "node" + n, nodeConfig(root, "127.0.0.1:0"));
            nodes.add(node);
            addresses.add("127.0.0.1:" + node.port());
        }
        return this;
    }

    private static WebConfig nodeConfig(Path root, String listen) {
        return WebConfig.builder().root(root).listen(listen)
                .webdav(new WebConfig.WebDav(true, List.of(Cidr.parse("127.0.0.0/8")), Map.of(), "store")).build();
    }

    /** Kills node {@code i}: its listener and every connection close at once. */
    void kill(int i) {
        nodes.get(i).service().stop(Duration.ZERO);
    }

    /** Starts node {@code i} again on its old port over its old directory. */
    void restart(int i) throws Exception {
        nodes.set(i, portico.start(new WebServiceType(), "node" + i, nodeConfig(roots.get(i), addresses.get(i))));
    }

    /** Whether the node at {@code hostPort} holds {@code staged} (a path such as {@code /_3fs_0/a}) on disk. */
    boolean holds(String hostPort, String staged) {
        return Files.isRegularFile(rootOf(hostPort).resolve(staged.substring(1)));
    }

    String node(int i) {
        return addresses.get(i);
    }

    List<String> allNodes() {
        return List.copyOf(addresses);
    }

    /** The root of the node listening at {@code hostPort}. */
    Path rootOf(String hostPort) {
        return roots.get(allNodes().indexOf(hostPort));
    }

    /** A router config over stage 0 of all nodes; writes permitted from loopback. */
    FilestoreConfig.Builder router(Path stateDir) {
        java.util.TreeMap<Integer, List<String>> stages = new java.util.TreeMap<>();
        stages.put(0, allNodes());
        return FilestoreConfig.builder().listen(HostPort.parse("127.0.0.1:0")).stateDir(stateDir)
                .writePermit(Cidr.parse("127.0.0.0/8"))
                .responseTimeout(Duration.ofSeconds(10)).pool(new StorePool("*", stages, 0));
    }

    RunningService start(FilestoreConfig config) throws Exception {
        return portico.start(new FilestoreServiceType(), "fs", config);
    }

    HttpResponse<String> send(RunningService router, String method, String path, String body) throws IOException,
            InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port() + path))
                .timeout(Duration.ofSeconds(20));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Regular files under a root, hidden upload files included, as paths relative to it. */
    static List<String> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }
}
