package dev.portico.web.dav;

import dev.portico.web.files.MimeTypes;
import dev.portico.web.files.PathResolver;
import dev.portico.web.http.BodyAggregator;
import dev.portico.web.http.Exchange;

import javax.xml.namespace.QName;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * PROPFIND with Depth 0 or 1 over the live properties. Depth infinity (also the default when
 * the header is missing) is refused with 403 and DAV:propfind-finite-depth, as RFC 4918 §9.1
 * allows. Links leading out of the root and upload temporaries are not listed.
 */
final class Propfind {

    private static final int MAX_BODY = 64 * 1024;

    private final Executor blocking;
    private final MimeTypes mime;

    Propfind(Executor blocking, MimeTypes mime) {
        this.blocking = blocking;
        this.mime = mime;
    }

    void handle(Exchange ex, Path realRoot) {
        String depthHeader = ex.headers().get("Depth");
        String d = depthHeader == null ? "infinity" : depthHeader.trim();
        if (!d.equals("0") && !d.equals("1")) {
            if (d.equalsIgnoreCase("infinity")) {
                if (ex.hasBody()) {
                    ex.closeAfterResponse();
                }
                DavReplies.condition(ex, 403, "propfind-finite-depth");
            } else {
                ex.errorAndClose(400);
            }
            return;
        }
        int depth = d.equals("1") ? 1 : 0;
        if (!ex.hasBody()) {
            answer(ex, realRoot, depth, PropfindRequest.ALL);
            return;
        }
        ex.receiveBody(new BodyAggregator(ex, MAX_BODY, body -> {
            PropfindRequest request;
            try {
                request = PropfindRequest.parse(body);
            } catch (PropfindRequest.Malformed e) {
                ex.error(400);
                return;
            }
            answer(ex, realRoot, depth, request);
        }));
    }

    private void answer(Exchange ex, Path realRoot, int depth, PropfindRequest request) {
        Offload.run(ex, blocking, () -> {
            List<String> segments;
            Path file;
            try {
                segments = PathResolver.segments(ex.rawPath());
                if (segments.stream().anyMatch(s -> s.startsWith(DavPath.TEMP_PREFIX))) {
                    return x -> x.error(404);
                }
                file = PathResolver.resolve(realRoot, segments, false);
            } catch (PathResolver.Refused r) {
                return x -> x.error(r.status());
            }
            if (file == null) {
                return x -> x.error(404);
            }
            String xml = render(realRoot, file, segments, depth, request);
            return x -> DavReplies.multiStatus(x, xml);
        });
    }

    private String render(Path realRoot, Path file, List<String> segments, int depth, PropfindRequest request)
            throws IOException {
        MultiStatus out = new MultiStatus();
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        StringBuilder href = new StringBuilder("/");
        for (String s : segments) {
            href.append(Xml.encodeSegment(s)).append('/');
        }
        if (!attrs.isDirectory() && !segments.isEmpty()) {
            href.setLength(href.length() - 1);
        }
        String name = segments.isEmpty() ? "" : segments.getLast();
        add(out, href.toString(), name, attrs, request);
        if (depth == 1 && attrs.isDirectory()) {
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(file)) {
                dir.forEach(children::add);
            }
            children.sort(null);
            for (Path child : children) {
                String childName = child.getFileName().toString();
                BasicFileAttributes ca;
                try {
                    if (childName.startsWith(DavPath.TEMP_PREFIX) || !child.toRealPath().startsWith(realRoot)) {
                        continue;
                    }
                    ca = Files.readAttributes(child, BasicFileAttributes.class);
                } catch (IOException gone) {
                    continue; // deleted meanwhile, or a dangling link
                }
                add(out, href + Xml.encodeSegment(childName) + (ca.isDirectory() ? "/" : ""), childName, ca, request);
            }
        }
        return out.render();
    }

    private void add(MultiStatus out, String href, String name, BasicFileAttributes attrs, PropfindRequest request) {
        Map<String, String> live = LiveProperties.of(name, attrs, mime);
        switch (request.kind()) {
            case ALLPROP -> out.add(href, live, List.of());
            case PROPNAME -> {
                Map<String, String> names = new LinkedHashMap<>();
                live.keySet().forEach(k -> names.put(k, ""));
                out.add(href, names, List.of());
            }
            case PROP -> {
                Map<String, String> found = new LinkedHashMap<>();
                List<QName> missing = new ArrayList<>();
                for (QName q : request.names()) {
                    String v = PropfindRequest.DAV.equals(q.getNamespaceURI()) ? live.get(q.getLocalPart()) : null;
                    if (v != null) {
                        found.put(q.getLocalPart(), v);
                    } else {
                        missing.add(q);
                    }
                }
                out.add(href, found, missing);
            }
        }
    }
}
