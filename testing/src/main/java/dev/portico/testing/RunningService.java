package dev.portico.testing;

import dev.portico.core.lifecycle.Service;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A started service and the address it answers on. The address is read from the first of the
 * service's {@link Service#endpoints()} that holds a {@code host:port}, which is how every
 * Portico service reports its bound listeners.
 *
 * @param service the running service
 */
public record RunningService(Service service) {

    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+):(\\d{1,5})");

    /** The bound address of the first endpoint. */
    public InetSocketAddress address() {
        return addressOf(service);
    }

    /** The bound port of the first endpoint. */
    public int port() {
        return address().getPort();
    }

    /** An http URI on the loopback address and the bound port, for a path such as {@code /index.html}. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + (path.startsWith("/") ? path : "/" + path));
    }

    /** The first {@code host:port} in a service's endpoints. */
    public static InetSocketAddress addressOf(Service service) {
        for (String endpoint : service.endpoints()) {
            Matcher m = HOST_PORT.matcher(endpoint);
            if (m.find()) {
                String host = m.group(1);
                if (host.startsWith("[")) {
                    host = host.substring(1, host.length() - 1);
                }
                return InetSocketAddress.createUnresolved(host, Integer.parseInt(m.group(2)));
            }
        }
        throw new IllegalStateException("service '" + service.name() + "' reports no host:port endpoint: "
                + service.endpoints());
    }
}
