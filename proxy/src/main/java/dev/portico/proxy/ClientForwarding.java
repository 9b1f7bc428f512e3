package dev.portico.proxy;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The forwarding values of one client connection, worked out once instead of per request: the
 * client's address as text (for X-Forwarded-For) and its Forwarded element for the connection's
 * last Host. Kept on the client channel; used on its event loop only.
 */
final class ClientForwarding {

    private static final AttributeKey<ClientForwarding> KEY = AttributeKey.valueOf(ClientForwarding.class, "forwarding");

    private final InetAddress peer;
    /** The client's address as text, for X-Forwarded-For. */
    final String ip;
    /** The Forwarded {@code for} node: the address, bracketed and quoted for IPv6. */
    private final String node;
    private String lastHost;
    private String lastElement;

    private ClientForwarding(InetAddress peer) {
        this.peer = peer;
        this.ip = peer.getHostAddress();
        this.node = peer instanceof Inet6Address ? "\"[" + ip + "]\"" : ip;
    }

    /** The values for {@code peer} on {@code client}: the kept ones, or new ones when the peer differs. */
    static ClientForwarding of(Channel client, InetAddress peer) {
        ClientForwarding kept = client.attr(KEY).get();
        if (kept != null && kept.peer.equals(peer)) {
            return kept;
        }
        ClientForwarding made = new ClientForwarding(peer);
        client.attr(KEY).set(made);
        return made;
    }

    /** An RFC 7239 quoted-string: the value in double quotes, with '\\' and '"' escaped by a backslash. */
    static String quoted(String value) {
        if (value.indexOf('"') < 0 && value.indexOf('\\') < 0) {
            return '"' + value + '"';
        }
        StringBuilder sb = new StringBuilder(value.length() + 8).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.append('"').toString();
    }

    /** This proxy's Forwarded element: {@code for=...;proto=http}, with {@code host="..."} when a Host is given. */
    String element(String host) {
        if (lastElement != null && (host == null ? lastHost == null : host.equals(lastHost))) {
            return lastElement;
        }
        String e = host == null ? "for=" + node + ";proto=http" : "for=" + node + ";proto=http;host=" + quoted(host);
        lastHost = host;
        lastElement = e;
        return e;
    }
}
