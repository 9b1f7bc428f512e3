package dev.portico.web.dav;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.namespace.QName;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a PROPFIND asks for (RFC 4918 §9.1): all properties, their names, or a list of named
 * properties. An empty body means all properties. The XML is parsed with DTDs and external
 * entities refused.
 *
 * @param kind  which of the three forms
 * @param names the properties asked for, for {@link Kind#PROP}
 */
record PropfindRequest(Kind kind, List<QName> names) {

    static final String DAV = "DAV:";
    static final PropfindRequest ALL = new PropfindRequest(Kind.ALLPROP, List.of());

    enum Kind { ALLPROP, PROPNAME, PROP }

    /** Thrown for a body that is not a well-formed propfind document. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    static PropfindRequest parse(byte[] body) throws Malformed {
        if (body.length == 0) {
            return ALL;
        }
        Document doc;
        try {
            doc = builder().parse(new ByteArrayInputStream(body));
        } catch (SAXException | IOException e) {
            throw new Malformed("propfind body is not well-formed XML");
        }
        Element root = doc.getDocumentElement();
        if (!isDav(root, "propfind")) {
            throw new Malformed("root element is not DAV:propfind");
        }
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element e)) {
                continue;
            }
            if (isDav(e, "allprop")) {
                return ALL;
            }
            if (isDav(e, "propname")) {
                return new PropfindRequest(Kind.PROPNAME, List.of());
            }
            if (isDav(e, "prop")) {
                List<QName> names = new ArrayList<>();
                for (Node p = e.getFirstChild(); p != null; p = p.getNextSibling()) {
                    if (p instanceof Element pe) {
                        String ns = pe.getNamespaceURI();
                        names.add(new QName(ns == null ? "" : ns, pe.getLocalName()));
                    }
                }
                return new PropfindRequest(Kind.PROP, List.copyOf(names));
            }
        }
        throw new Malformed("propfind names neither allprop, propname nor prop");
    }

    private static boolean isDav(Element e, String local) {
        return DAV.equals(e.getNamespaceURI()) && local.equals(e.getLocalName());
    }

    private static DocumentBuilder builder() throws Malformed {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b;
        } catch (ParserConfigurationException e) {
            throw new Malformed("no secure XML parser: " + e.getMessage());
        }
    }
}
