package dev.portico.filestore;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The router's own requests to nodes, off the request path: the handoff's copies and deletes, and
 * what {@code fs check} and {@code fs repair} ask (PROPFIND listings, digests). Blocking, with
 * the JDK's HTTP client; a copy streams the source's body to the target, never holding it whole.
 */
public final class NodeClient implements AutoCloseable {

    /** What a node says of one file. */
    record Head(int status, long length, String digest) {
    }

    /**
     * One entry of a PROPFIND listing.
     *
     * @param href       the raw (percent-encoded) path the node gave
     * @param collection whether it is a collection
     * @param length     its size in bytes (-1 for a collection or when not given)
     */
    record Listing(String href, boolean collection, long length) {
    }

    /** A node that answered otherwise than expected, or could not be reached. */
    static final class NodeError extends IOException {
        NodeError(String message) {
            super(message);
        }
    }

    private static final String PROPFIND_BODY = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            + "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/><D:getcontentlength/></D:prop></D:propfind>";

    private final Duration connectTimeout;
    private final Duration timeout;
    /**
     * Built at the first request: a JDK client starts a selector thread and loads the
     * {@code java.net.http} module's classes, which a store whose handoff journal stays empty never
     * needs (docs/decisions.md). Null until then, and after {@link #close()}.
     */
    private HttpClient http;
    private boolean closed;

    public NodeClient(Duration connectTimeout, Duration timeout) {
        this.connectTimeout = connectTimeout;
        this.timeout = timeout;
    }

    private synchronized HttpClient http() throws NodeError {
        if (closed) {
            throw new NodeError("the node client is closed");
        }
        if (http == null) {
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER).build();
        }
        return http;
    }

    private HttpRequest.Builder request(String node, String uri) {
        return HttpRequest.newBuilder(URI.create("http://" + node + uri)).timeout(timeout);
    }

    private <T> HttpResponse<T> send(HttpRequest r, HttpResponse.BodyHandler<T> body) throws IOException {
        try {
            return http().send(r, body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeError("interrupted");
        } catch (IOException e) {
            throw new NodeError(r.method() + " " + r.uri() + ": " + (e.getMessage() == null ? e.toString()
                    : e.getMessage()));
        }
    }

    /** HEAD, asking for the content's digest. */
    Head head(String node, String uri) throws IOException {
        HttpResponse<Void> r = send(request(node, uri).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Want-Repr-Digest", "sha-256=1").build(), HttpResponse.BodyHandlers.discarding());
        return new Head(r.statusCode(), r.headers().firstValueAsLong("content-length").orElse(-1),
                sha256(r.headers().firstValue("repr-digest").orElse(null)));
    }

    /**
     * The SHA-256 of a file's content, base64: from the node's {@code Repr-Digest} when it gives
     * one, else by reading the file.
     *
     * @return empty when the node has no such file
     */
    Optional<String> digest(String node, String uri) throws IOException {
        Head h = head(node, uri);
        if (h.status() == 404) {
            return Optional.empty();
        }
        if (h.status() != 200) {
            throw new NodeError(node + " answered " + h.status() + " to HEAD " + uri);
        }
        if (h.digest() != null) {
            return Optional.of(h.digest());
        }
        HttpResponse<InputStream> r = send(request(node, uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() == 404) {
                return Optional.empty();
            }
            if (r.statusCode() != 200) {
                throw new NodeError(node + " answered " + r.statusCode() + " to GET " + uri);
            }
            MessageDigest md = sha256();
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return Optional.of(Base64.getEncoder().encodeToString(md.digest()));
        }
    }

    /** The {@code sha-256} member of a {@code Repr-Digest} field (RFC 9530), or null. */
    static String sha256(String field) {
        if (field == null) {
            return null;
        }
        for (String member : field.split(",")) {
            String m = member.strip();
            int eq = m.indexOf('=');
            if (eq > 0 && m.substring(0, eq).strip().toLowerCase(Locale.ROOT).equals("sha-256")) {
                String v = m.substring(eq + 1).strip();
                if (v.length() > 2 && v.startsWith(":") && v.endsWith(":")) {
                    return v.substring(1, v.length() - 1);
                }
            }
        }
        return null;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /**
     * Copies a file from one node to another, streaming; missing parent collections on the target
     * are made.
     *
     * @return the SHA-256 (base64) of what was copied, or empty when the source has no such file
     */
    Optional<String> copy(String source, String target, String uri) throws IOException {
        for (int attempt = 0; ; attempt++) {
            HttpResponse<InputStream> get = send(request(source, uri).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            int status;
            MessageDigest md = sha256();
            try (InputStream in = get.body()) {
                if (get.statusCode() == 404) {
                    return Optional.empty();
                }
                if (get.statusCode() != 200) {
                    throw new NodeError(source + " answered " + get.statusCode() + " to GET " + uri);
                }
                long length = get.headers().firstValueAsLong("content-length").orElse(-1);
                DigestInputStream din = new DigestInputStream(in, md);
                HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofInputStream(() -> din);
                if (length >= 0) {
                    body = HttpRequest.BodyPublishers.fromPublisher(body, length);
                }
                status = send(request(target, uri).PUT(body).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode();
            }
            if (status == 409 && attempt == 0) {
                makeParents(target, uri);
                continue;
            }
            if (status < 200 || status >= 300) {
                throw new NodeError(target + " answered " + status + " to PUT " + uri);
            }
            return Optional.of(Base64.getEncoder().encodeToString(md.digest()));
        }
    }

    /** Makes the parent collections of {@code uri} on a node, from the top down. */
    void makeParents(String node, String uri) throws IOException {
        for (int i = uri.indexOf('/', 1); i > 0 && i < uri.length() - 1; i = uri.indexOf('/', i + 1)) {
            int s = mkcol(node, uri.substring(0, i + 1));
            if (s != 201 && s != 405) {
                throw new NodeError(node + " answered " + s + " to MKCOL " + uri.substring(0, i + 1));
            }
        }
    }

    /** DELETE; returns the status. */
    int delete(String node, String uri) throws IOException {
        return send(request(node, uri).DELETE().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** MKCOL; returns the status. */
    int mkcol(String node, String uri) throws IOException {
        return send(request(node, uri).method("MKCOL", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /**
     * A collection's members (PROPFIND, Depth 1), without the collection itself.
     *
     * @return empty when the node has no such collection
     */
    List<Listing> list(String node, String collection) throws IOException {
        HttpResponse<byte[]> r = send(request(node, collection).header("Depth", "1")
                .header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPFIND", HttpRequest.BodyPublishers.ofString(PROPFIND_BODY)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 404) {
            return List.of();
        }
        if (r.statusCode() != 207) {
            throw new NodeError(node + " answered " + r.statusCode() + " to PROPFIND " + collection
                    + (r.statusCode() == 405 ? " (a WebDAV node needs PROPFIND: nginx needs the dav-ext module)" : ""));
        }
        List<Listing> out = new ArrayList<>();
        String self = pathOf(collection);
        for (Listing l : parseMultistatus(r.body(), node)) {
            String p = pathOf(l.href());
            if (!trimSlash(p).equals(trimSlash(self))) {
                out.add(new Listing(p, l.collection(), l.length()));
            }
        }
        return out;
    }

    private static String trimSlash(String p) {
        return p.endsWith("/") && p.length() > 1 ? p.substring(0, p.length() - 1) : p;
    }

    /** An href's path: an absolute URL loses its scheme and authority. */
    private static String pathOf(String href) {
        int scheme = href.indexOf("://");
        if (scheme > 0) {
            int slash = href.indexOf('/', scheme + 3);
            return slash < 0 ? "/" : href.substring(slash);
        }
        return href;
    }

    static List<Listing> parseMultistatus(byte[] xml, String node) throws NodeError {
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new NodeError(node + " sent a PROPFIND answer that is not XML: " + e.getMessage());
        }
        List<Listing> out = new ArrayList<>();
        NodeList responses = doc.getElementsByTagNameNS("DAV:", "response");
        for (int i = 0; i < responses.getLength(); i++) {
            Element resp = (Element) responses.item(i);
            NodeList hrefs = resp.getElementsByTagNameNS("DAV:", "href");
            if (hrefs.getLength() == 0) {
                continue;
            }
            String href = hrefs.item(0).getTextContent().strip();
            boolean collection = resp.getElementsByTagNameNS("DAV:", "collection").getLength() > 0;
            long length = -1;
            NodeList len = resp.getElementsByTagNameNS("DAV:", "getcontentlength");
            if (len.getLength() > 0) {
                try {
                    length = Long.parseLong(len.item(0).getTextContent().strip());
                } catch (NumberFormatException e) {
                    length = -1;
                }
            }
            out.add(new Listing(href, collection, length));
        }
        return out;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (http != null) {
            http.shutdownNow();
            http = null;
        }
    }
}
