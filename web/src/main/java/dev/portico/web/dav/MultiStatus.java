package dev.portico.web.dav;

import javax.xml.namespace.QName;
import java.util.List;
import java.util.Map;

/** Builds a 207 Multi-Status document (RFC 4918 §13) one response element at a time. */
final class MultiStatus {

    private final StringBuilder xml = new StringBuilder(512)
            .append("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n");

    /**
     * Adds one resource.
     *
     * @param href    the encoded href
     * @param found   DAV: properties found, local name → XML content
     * @param missing properties asked for that the resource does not have
     */
    void add(String href, Map<String, String> found, List<QName> missing) {
        xml.append("<D:response><D:href>").append(Xml.escape(href)).append("</D:href>\n");
        if (!found.isEmpty() || missing.isEmpty()) {
            xml.append("<D:propstat><D:prop>\n");
            found.forEach((name, value) -> element(name, value));
            xml.append("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>\n");
        }
        if (!missing.isEmpty()) {
            xml.append("<D:propstat><D:prop>\n");
            int n = 0;
            for (QName q : missing) {
                if (PropfindRequest.DAV.equals(q.getNamespaceURI())) {
                    xml.append("<D:").append(q.getLocalPart()).append("/>\n");
                } else if (q.getNamespaceURI().isEmpty()) {
                    xml.append('<').append(q.getLocalPart()).append(" xmlns=\"\"/>\n");
                } else {
                    String prefix = "ns" + n++;
                    xml.append('<').append(prefix).append(':').append(q.getLocalPart()).append(" xmlns:").append(prefix)
                            .append("=\"").append(Xml.escape(q.getNamespaceURI())).append("\"/>\n");
                }
            }
            xml.append("</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>\n");
        }
        xml.append("</D:response>\n");
    }

    private void element(String name, String value) {
        if (value.isEmpty()) {
            xml.append("<D:").append(name).append("/>\n");
        } else {
            xml.append("<D:").append(name).append('>').append(value).append("</D:").append(name).append(">\n");
        }
    }

    String render() {
        return xml + "</D:multistatus>\n";
    }
}
