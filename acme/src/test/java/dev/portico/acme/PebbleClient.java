package dev.portico.acme;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A client of a service whose certificate came from pebble: TLS to 127.0.0.1 with SNI and host
 * name verification for a name, trusting only pebble's root, so that only a certificate pebble
 * issued for that name passes.
 */
public final class PebbleClient {

    /** What a GET brought back, and the serial of the certificate it was served with. */
    public record Answer(String text, BigInteger serial) {
    }

    private PebbleClient() {
    }

    /** {@code GET /} for {@code name} on 127.0.0.1:{@code port}, HTTP/1.1 with {@code Connection: close}. */
    public static Answer get(String name, int port, X509Certificate root) throws Exception {
        return request(name, port, root, "GET", "/");
    }

    /**
     * One bodiless request for {@code name} on 127.0.0.1:{@code port}, HTTP/1.1 with
     * {@code Connection: close}.
     *
     * @param headers further header lines, each {@code "Name: value"}
     */
    public static Answer request(String name, int port, X509Certificate root, String method, String path,
                                 String... headers) throws Exception {
        try (SSLSocket s = connect(name, port, root)) {
            X509Certificate leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
            StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
                    .append(name).append("\r\nConnection: close\r\n");
            for (String h : headers) {
                head.append(h).append("\r\n");
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                head.append("Content-Length: 0\r\n");
            }
            s.getOutputStream().write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return new Answer(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8), leaf.getSerialNumber());
        }
    }

    /** The serial of the certificate a handshake for {@code name} gets. */
    public static BigInteger serial(String name, int port, X509Certificate root) throws Exception {
        try (SSLSocket s = connect(name, port, root)) {
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    private static SSLSocket connect(String name, int port, X509Certificate root) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("pebble", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        Socket tcp = new Socket();
        tcp.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        tcp.setSoTimeout(10_000);
        SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket(tcp, name, port, true);
        try {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(name)));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setApplicationProtocols(new String[] {"http/1.1"});
            s.setSSLParameters(p);
            s.startHandshake();
            return s;
        } catch (Exception e) {
            s.close();
            throw e;
        }
    }
}
