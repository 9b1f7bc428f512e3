package dev.portico.proxy;

import dev.portico.core.tls.TlsFrontDoor;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * The forwarding values of one client connection, worked out once instead of per request: the
 * client's address as text (for X-Forwarded-For), the scheme it used (http or https), the subject
 * of its verified TLS client certificate, and its Forwarded element for the connection's last
 * Host. Kept on the client channel (an HTTP/2 stream's values come from its connection); used on
 * its event loop only.
 */
final class ClientForwarding {

    private static final AttributeKey<ClientForwarding> KEY = AttributeKey.valueOf(ClientForwarding.class, "forwarding");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString HTTPS = AsciiString.cached("https");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final InetAddress peer;
    /** The client's address as text, for X-Forwarded-For. */
    final String ip;
    /** The Forwarded {@code for} node: the address, bracketed and quoted for IPv6. */
    private final String node;
    /** The client's scheme, for X-Forwarded-Proto and Forwarded's {@code proto}. */
    final AsciiString proto;
    /**
     * The verified client certificate's subject (RFC 2253) with every byte outside printable
     * ASCII written as {@code \XX} (the UTF-8 bytes, as RFC 4514 escapes them), or null.
     */
    final String subject;
    private String lastHost;
    private String lastElement;

    private ClientForwarding(InetAddress peer, boolean tls, String subject) {
        this.peer = peer;
        this.ip = peer.getHostAddress();
        this.node = peer instanceof Inet6Address ? "\"[" + ip + "]\"" : ip;
        this.proto = tls ? HTTPS : HTTP;
        this.subject = subject == null ? null : fieldValue(subject);
    }

    /** The values for {@code peer} on {@code client}: the kept ones, or new ones when the peer differs. */
    static ClientForwarding of(Channel client, InetAddress peer) {
        ClientForwarding kept = client.attr(KEY).get();
        if (kept != null && kept.peer.equals(peer)) {
            return kept;
        }
        Channel connection = client instanceof Http2StreamChannel stream ? stream.parent() : client;
        boolean tls = connection.pipeline().get(TlsFrontDoor.SSL) != null;
        ClientForwarding made = new ClientForwarding(peer, tls, tls ? TlsFrontDoor.peerSubject(connection) : null);
        client.attr(KEY).set(made);
        return made;
    }

    /** {@code text} as a field value: printable ASCII kept, other characters as {@code \XX} of their UTF-8 bytes. */
    static String fieldValue(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
                continue;
            }
            int end = Character.isHighSurrogate(c) && i + 1 < text.length() ? i + 2 : i + 1;
            for (byte b : text.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                sb.append('\\').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
            }
            i = end - 1;
        }
        return sb.toString();
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

    /** This proxy's Forwarded element: {@code for=...;proto=http(s)}, with {@code host="..."} when a Host is given. */
    String element(String host) {
        if (lastElement != null && (host == null ? lastHost == null : host.equals(lastHost))) {
            return lastElement;
        }
        String e = host == null ? "for=" + node + ";proto=" + proto : "for=" + node + ";proto=" + proto + ";host=" + quoted(host);
        lastHost = host;
        lastElement = e;
        return e;
    }
}
