package dev.portico.admin;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One admin request, fully read, detached from Netty buffers so that handlers may run on any
 * thread.
 *
 * @param method  the HTTP method ({@code HEAD} is passed to handlers as {@code GET})
 * @param path    the decoded path without the query
 * @param query   decoded query parameters
 * @param headers the request headers
 * @param body    the request body, empty when there is none
 * @param remote  the client address
 */
public record AdminRequest(HttpMethod method, String path, Map<String, List<String>> query, HttpHeaders headers,
                           byte[] body, InetSocketAddress remote) {

    /** The first value of a query parameter, or {@code def}. */
    public String param(String name, String def) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? def : v.getFirst();
    }

    /** The body as UTF-8 text. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
