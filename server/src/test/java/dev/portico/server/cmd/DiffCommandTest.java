package dev.portico.server.cmd;

import dev.portico.server.CliRun;
import dev.portico.server.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class DiffCommandTest {

    @TempDir
    Path dir;

    private static final String OLD = """
            workers: 2
            services:
              front:
                type: lb
                listen: [127.0.0.1:8000, 127.0.0.1:8001]
                scheduler: roundrobin
                groups:
                  main: [10.0.0.1:80, {address: 10.0.0.2:80, weight: 2}, 10.0.0.3:80]
                  standby: [10.0.1.1:80]
              old:
                type: lb
                listen: [127.0.0.1:8100]
                backends: [10.0.9.1:80]
            """;

    private Path file(String name, String text) throws Exception {
        Files.createDirectories(dir.resolve("www"));
        return Files.writeString(dir.resolve(name), text);
    }

    private CliRun diff(String from, String to) throws Exception {
        return CliRun.run(Main.builtinTypes(), "diff", file("old.yaml", from).toString(), file("new.yaml", to).toString());
    }

    @Test
    void printsTheActionsInAnOrderThatKeepsEachStepValid() throws Exception {
        CliRun r = diff(OLD, """
                workers: 2
                services:
                  front:
                    type: lb
                    listen: [127.0.0.1:8000, 127.0.0.1:8002]
                    scheduler: leastconns
                    active_group: standby
                    groups:
                      main: [{address: 10.0.0.2:80, weight: 5}, {address: 10.0.0.3:80, state: disabled}, 10.0.0.4:80]
                      standby: [10.0.1.1:80]
                  site:
                    type: web
                    listen: 127.0.0.1:8080
                    root: www
                """);
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(r.out.lines().map(l -> l.replaceAll("\\s+#.*", ""))).containsExactly(
                "add-service site (type web)",
                "open-listener front 127.0.0.1:8002",
                "add-host front main 10.0.0.4:80 weight=1",
                "set-weight front main 10.0.0.2:80 5",
                "disable front main 10.0.0.3:80",
                "set-scheduler front leastconns",
                "switch-group front standby",
                "remove-host front main 10.0.0.1:80",
                "close-listener front 127.0.0.1:8001",
                "remove-service old");
        assertThat(r.out).contains("add-host front main 10.0.0.4:80 weight=1    # POST /api/v1/services/front/groups/main/hosts"
                + " {\"address\":\"10.0.0.4:80\",\"weight\":1}");
        assertThat(r.out).contains("disable front main 10.0.0.3:80    # POST /api/v1/services/front/groups/main/hosts/10.0.0.3:80/disable");
    }

    @Test
    void sameConfigHasNoDifferences() throws Exception {
        CliRun r = diff(OLD, OLD);
        assertThat(r.status).isZero();
        assertThat(r.out).isEqualTo("# no differences\n");
    }

    @Test
    void refusesWhatCannotBeChangedLive() throws Exception {
        CliRun r = diff(OLD, """
                workers: 4
                services:
                  front:
                    type: lb
                    listen: [127.0.0.1:8000, 127.0.0.1:8001]
                    timeouts: {idle: 1m}
                    groups:
                      main: [10.0.0.1:80]
                      spare: [10.0.2.1:80]
                  old:
                    type: web
                    listen: 127.0.0.1:8100
                    root: www
                """);
        assertThat(r.status).isEqualTo(1);
        assertThat(r.out).isEmpty();
        assertThat(r.err).contains("portico diff: 5 change(s) cannot be applied live:",
                "workers 2 -> 4: takes a restart",
                "service old changes type lb -> web: remove it and add it under a new name",
                "service front: group spare is new: no admin action adds groups",
                "service front: group standby is gone",
                "service front: health, retries, timeouts, limits, proxy_protocol or backlog changed");
    }
}
