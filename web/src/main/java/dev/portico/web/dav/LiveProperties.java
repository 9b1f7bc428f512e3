package dev.portico.web.dav;

import dev.portico.web.files.Conditionals;
import dev.portico.web.files.MimeTypes;
import dev.portico.web.http.HttpDates;

import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The live DAV: properties of a file or collection, as XML fragments keyed by local name:
 * resourcetype, displayname, getlastmodified and getetag for both, plus getcontentlength and
 * getcontenttype for files. The ETag is the one static serving sends.
 */
final class LiveProperties {

    private LiveProperties() {
    }

    static Map<String, String> of(String displayName, BasicFileAttributes attrs, MimeTypes mime) {
        Map<String, String> p = new LinkedHashMap<>();
        long mtime = attrs.lastModifiedTime().toMillis() / 1000 * 1000;
        p.put("resourcetype", attrs.isDirectory() ? "<D:collection/>" : "");
        p.put("displayname", Xml.escape(displayName));
        p.put("getlastmodified", HttpDates.format(mtime));
        p.put("getetag", Xml.escape(Conditionals.etag(mtime, attrs.isDirectory() ? 0 : attrs.size(), "")));
        if (!attrs.isDirectory()) {
            p.put("getcontentlength", Long.toString(attrs.size()));
            p.put("getcontenttype", Xml.escape(mime.forName(displayName)));
        }
        return p;
    }
}
