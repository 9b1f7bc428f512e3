package dev.portico.server.txlb;

import dev.portico.server.threexsd.YamlText;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Converts a txLoadBalancer ({@code <config>}) or PythonDirector ({@code <pdconfig>}) config.xml
 * into Portico YAML: each {@code <service>} becomes a {@code type: lb} service with its
 * listeners, groups, hosts and weights, the enabled group becomes {@code active_group}, the
 * scheduler names are mapped, {@code <manager><hostCheck>} becomes a TCP health check and
 * {@code <configCheck>} the admin autosave. Anything without an equivalent (crypt passwords, the
 * SSH manhole, the control socket, unknown elements) is kept as a comment that says why.
 */
public final class TxlbImporter {

    private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
    private static final Map<String, String> SCHEDULERS = Map.of(
            "rand", "random", "random", "random",
            "roundr", "roundrobin", "roundrobin", "roundrobin",
            "leastc", "leastconns", "leastconns", "leastconns", "leastconnsrr", "leastconnsrr",
            "weightr", "weighted-random", "weightlc", "weighted-leastconns", "lweighted", "weighted-leastconns");

    private final String source;

    /** @param source the file name, for the header comment and messages */
    public TxlbImporter(String source) {
        this.source = source;
    }

    /**
     * Converts the XML text.
     *
     * @throws IllegalArgumentException when it is not XML or its root is neither config nor pdconfig
     */
    public String convert(String xml) {
        Element root = parse(xml).getDocumentElement();
        String dialect = switch (root.getTagName()) {
            case "config" -> "txLoadBalancer";
            case "pdconfig" -> "PythonDirector";
            default -> throw new IllegalArgumentException("the root element is <" + root.getTagName()
                    + ">, not <config> (txLoadBalancer) or <pdconfig> (PythonDirector)");
        };
        Out admin = new Out();
        Out top = new Out();
        List<Element> services = new ArrayList<>();
        String health = null;
        for (Element e : children(root)) {
            switch (e.getTagName()) {
                case "service" -> services.add(e);
                case "admin" -> admin(e, admin);
                case "manager" -> health = manager(e, admin, top);
                case "control" -> top.comment("control socket " + e.getAttribute("socket")
                        + ": not imported (backends get the client address from the PROXY protocol: proxy_protocol: v1|v2)");
                case "logging" -> top.comment("logging file " + e.getAttribute("file")
                        + ": not imported (Portico logs to stderr; set access_log for an access log)");
                default -> top.comment("unknown element " + describe(e) + ": not imported");
            }
        }
        Out out = new Out();
        out.comment("Converted from " + source + " (" + dialect + ") by portico import-txlb.");
        out.lines.addAll(top.lines);
        if (!admin.lines.isEmpty()) {
            out.line("admin:");
            admin.lines.forEach(l -> out.line("  " + l));
        }
        out.line("services:");
        if (services.isEmpty()) {
            out.comment("  (the file has no <service>)");
        }
        for (Element s : services) {
            service(s, health, out);
        }
        return String.join("\n", out.lines) + "\n";
    }

    private void service(Element s, String health, Out out) {
        String name = s.getAttribute("name");
        String key = SERVICE_NAME.matcher(name).matches() ? name : name.replaceAll("[^A-Za-z0-9_.-]", "-")
                .replaceAll("^[^A-Za-z0-9]+", "");
        if (key.isEmpty()) {
            key = "service" + (out.lines.size());
        }
        Out body = new Out();
        if (!key.equals(name)) {
            body.comment("was <service name=\"" + name + "\">");
        }
        body.line("type: lb");
        List<String> listen = new ArrayList<>();
        Map<String, Element> groups = new LinkedHashMap<>();
        String enabled = null;
        for (Element e : children(s)) {
            switch (e.getTagName()) {
                case "listen" -> listen.add(address(e.getAttribute("ip")));
                case "group" -> {
                    groups.put(e.getAttribute("name"), e);
                    if (bool(e.getAttribute("enable"))) {
                        enabled = e.getAttribute("name");
                    }
                }
                case "enable" -> enabled = e.getAttribute("group");
                default -> body.comment("unknown element " + describe(e) + ": not imported");
            }
        }
        body.line("listen: " + YamlText.list(listen));
        if (enabled == null && !groups.isEmpty()) {
            enabled = groups.keySet().iterator().next();
            body.comment("no group was enabled; the first one is active");
        }
        if (enabled != null) {
            body.line("active_group: " + YamlText.string(enabled));
            Element active = groups.get(enabled);
            if (active != null) {
                body.line("scheduler: " + scheduler(active.getAttribute("scheduler"), body));
            } else {
                body.comment("the enabled group " + enabled + " does not exist");
            }
        }
        if (health != null) {
            body.line("health: " + health);
        }
        body.line("groups:");
        for (Map.Entry<String, Element> g : groups.entrySet()) {
            group(g.getKey(), g.getValue(), enabled, body);
        }
        out.line("  " + YamlText.string(key) + ":");
        body.lines.forEach(l -> out.line("    " + l));
    }

    private void group(String name, Element g, String enabled, Out body) {
        String sched = g.getAttribute("scheduler");
        if (!name.equals(enabled) && !sched.isEmpty()) {
            body.comment("  group " + name + " used scheduler " + sched
                    + "; Portico has one scheduler per service, that of the active group");
        }
        body.line("  " + YamlText.string(name) + ":");
        int n = 0;
        for (Element h : children(g)) {
            if (!h.getTagName().equals("host")) {
                body.comment("    unknown element " + describe(h) + ": not imported");
                continue;
            }
            n++;
            String hostName = h.getAttribute("name").isEmpty() ? "host." + n : h.getAttribute("name");
            String address = address(h.getAttribute("ip"));
            if (address.endsWith(":0")) {
                body.comment("    - " + YamlText.comment(address) + "  # " + hostName + ": no port; not imported");
                continue;
            }
            String weight = h.getAttribute("weight").strip();
            String item = weight.isEmpty() || weight.equals("1") ? YamlText.string(address)
                    : "{address: " + YamlText.string(address) + ", weight: " + weight + "}";
            body.line("    - " + item + "  # " + YamlText.comment(hostName));
        }
    }

    private static String scheduler(String name, Out body) {
        String mapped = SCHEDULERS.get(name.strip().toLowerCase(Locale.ROOT));
        if (mapped == null) {
            body.comment("scheduler '" + YamlText.comment(name) + "' is unknown; roundrobin is used");
            return "roundrobin";
        }
        return mapped;
    }

    private static void admin(Element a, Out admin) {
        String listen = a.getAttribute("listen");
        if (!listen.isEmpty()) {
            // PythonDirector: <admin listen="host:port" secure="yes"> with <user> children.
            adminListen(listen, admin);
            secure(a, admin);
        }
        for (Element e : children(a)) {
            switch (e.getTagName()) {
                case "web" -> {
                    if (bool(e.getAttribute("enable")) && !e.getAttribute("listen").isEmpty()) {
                        adminListen(e.getAttribute("listen"), admin);
                        secure(e, admin);
                    } else {
                        admin.comment("the web admin was not enabled; Portico's admin endpoint listens on 127.0.0.1:9090");
                    }
                }
                case "ssh" -> admin.comment("ssh manhole " + e.getAttribute("listen")
                        + ": not imported (the admin API replaces it)");
                case "user" -> admin.comment("user " + e.getAttribute("name") + " (" + e.getAttribute("access")
                        + "): crypt passwords are not carried over; give a token instead: tokens: [{token_file: FILE, role: "
                        + ("readonly".equalsIgnoreCase(e.getAttribute("access")) ? "read" : "write") + "}]");
                default -> admin.comment("unknown element " + describe(e) + ": not imported");
            }
        }
    }

    /**
     * The admin address as txLB had it, all interfaces included, with a warning when it is not on
     * one host: Portico's admin endpoint is the whole control API, not a status page.
     */
    private static void adminListen(String raw, Out admin) {
        String listen = address(raw);
        admin.line("listen: " + YamlText.string(listen));
        String host = listen.substring(0, listen.lastIndexOf(':'));
        if (host.equals("0.0.0.0") || host.equals("[::]") || host.equals("::")) {
            admin.comment("WARNING: " + raw.strip() + " listens on all interfaces, so the admin API (which can change "
                    + "and stop services) would face the network; 127.0.0.1" + listen.substring(listen.lastIndexOf(':'))
                    + " keeps it on this host");
        }
    }

    private static void secure(Element e, Out admin) {
        if (bool(e.getAttribute("secure"))) {
            admin.comment("secure=\"" + e.getAttribute("secure")
                    + "\": the admin endpoint speaks plain HTTP on loopback; put TLS in front to expose it");
        }
    }

    /** Reads {@code <manager>}; returns the health check for every service, or null. */
    private static String manager(Element m, Out admin, Out top) {
        String health = null;
        for (Element e : children(m)) {
            String interval = e.getAttribute("interval").isEmpty() ? null : e.getAttribute("interval").strip() + "s";
            boolean on = bool(e.getAttribute("enable"));
            switch (e.getTagName()) {
                case "hostCheck" -> {
                    if (on) {
                        health = "{type: tcp, interval: " + (interval != null ? interval : "120s") + "}";
                    } else {
                        top.comment("hostCheck was disabled; Portico checks hosts over TCP every 2s by default");
                    }
                }
                case "configCheck" -> {
                    if (on) {
                        admin.line("autosave: " + (interval != null ? interval : "30s"));
                    } else {
                        admin.comment("configCheck was disabled: the running config is not saved on its own; "
                                + "autosave: 30s would save it as configCheck did");
                    }
                }
                case "heartbeat" -> top.comment("heartbeat: not imported (it was unused)");
                default -> top.comment("unknown element " + describe(e) + ": not imported");
            }
        }
        return health;
    }

    /** {@code *:8080} → {@code 0.0.0.0:8080}; {@code host} → {@code host:0}. */
    private static String address(String ip) {
        String s = ip.strip();
        int colon = s.lastIndexOf(':');
        String host = colon < 0 ? s : s.substring(0, colon);
        String port = colon < 0 ? "0" : s.substring(colon + 1);
        if (host.isEmpty() || host.equals("*")) {
            host = "0.0.0.0";
        }
        return host + ":" + port;
    }

    private static boolean bool(String v) {
        return Set.of("yes", "1", "on", "enable", "true").contains(v.strip().toLowerCase(Locale.ROOT));
    }

    private static String describe(Element e) {
        StringBuilder b = new StringBuilder("<").append(e.getTagName());
        NamedNodeMap attrs = e.getAttributes();
        for (int i = 0; i < attrs.getLength(); i++) {
            b.append(' ').append(attrs.item(i).getNodeName()).append("=\"").append(attrs.item(i).getNodeValue()).append('"');
        }
        return YamlText.comment(b.append('>').toString());
    }

    /** Child elements, skipping text, comments, CDATA and {@code <note>}. */
    private static List<Element> children(Element parent) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && !e.getTagName().equals("note")) {
                out.add(e);
            }
        }
        return out;
    }

    private static Document parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setExpandEntityReferences(false);
            f.setXIncludeAware(false);
            return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        } catch (SAXException e) {
            throw new IllegalArgumentException("not well-formed XML: " + e.getMessage());
        } catch (ParserConfigurationException | IOException e) {
            throw new IllegalArgumentException("cannot read the XML: " + e.getMessage());
        }
    }

    /** Lines of YAML being built. */
    private static final class Out {
        final List<String> lines = new ArrayList<>();

        void line(String l) {
            lines.add(l);
        }

        void comment(String c) {
            String trimmed = c.stripLeading();
            String indent = c.substring(0, c.length() - trimmed.length());
            lines.add(indent + "# " + YamlText.comment(trimmed));
        }
    }
}
