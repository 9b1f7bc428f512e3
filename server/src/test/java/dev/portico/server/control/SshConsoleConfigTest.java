package dev.portico.server.control;

import dev.portico.core.config.ConfigException;
import dev.portico.server.config.AdminSettings;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import dev.portico.server.ServiceTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code admin.ssh} in the config file: read, checked and written back. */
class SshConsoleConfigTest {

    @TempDir
    Path dir;

    @Test
    void readsTheSshSection() throws Exception {
        Path keys = Files.writeString(dir.resolve("authorized_keys"), "");
        ServerConfig c = read("""
                admin:
                  token: abc
                  ssh:
                    listen: 127.0.0.1:2299
                    authorized_keys: %s
                    host_key: %s
                services: {site: {type: web, root: %s}}
                """.formatted(keys, dir.resolve("hk"), dir));
        AdminSettings.Ssh ssh = c.admin().ssh();
        assertThat(ssh.listen().port()).isEqualTo(2299);
        assertThat(ssh.authorizedKeys()).isEqualTo(keys);
        assertThat(ssh.hostKey()).isEqualTo(dir.resolve("hk"));
    }

    @Test
    void missingKeysFileIsReportedWithItsPlace() {
        assertThatThrownBy(() -> read("""
                admin:
                  ssh:
                    authorized_keys: /no/such/keys
                services: {site: {type: web, root: %s}}
                """.formatted(dir))).isInstanceOf(ConfigException.class).hasMessageContaining("p.yaml:3:22:")
                .hasMessageContaining("authorized_keys file '/no/such/keys' does not exist");
    }

    @Test
    void sshIsOffByDefault() throws Exception {
        assertThat(read("services: {site: {type: web, root: " + dir + "}}\n").admin().ssh()).isNull();
    }

    private ServerConfig read(String yaml) throws Exception {
        return new ServerConfigReader(ServiceTypes.of(new dev.portico.web.WebServiceType())).read(yaml, "p.yaml");
    }
}
