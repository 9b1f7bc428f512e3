package dev.portico.lb;

import dev.portico.core.net.HostPort;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TLS server on 127.0.0.1 for the SNI routing tests, on the JDK's own TLS: it completes the
 * handshake, then answers one line, {@code group=NAME sni=SERVER-NAME proxy=PROXY-LINE}, and
 * closes. The server name is what the backend's own TLS stack read from the ClientHello, so a
 * right answer proves the balancer passed the hello on untouched. With {@code proxyV1} it first
 * reads a PROXY v1 line from the plain socket, as a backend behind {@code proxy_protocol: v1} does.
 *
 * <p>Its certificate is self-signed, made once per test run by the JDK's {@code keytool}, for
 * {@code *.a.test}, {@code b.test} and {@code c.test}; {@link #clientContext()} trusts it.
 */
final class TlsBackend implements AutoCloseable {

    private static final char[] PASSWORD = "portico-test".toCharArray();
    private static SSLContext server;
    private static javax.net.ssl.TrustManager[] trust;

    final String group;
    final AtomicInteger handshakes = new AtomicInteger();
    private final boolean proxyV1;
    private final ServerSocket socket;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private TlsBackend(String group, boolean proxyV1) throws IOException {
        this.group = group;
        this.proxyV1 = proxyV1;
        this.socket = new ServerSocket();
        socket.bind(new InetSocketAddress(TestBackend.LOOPBACK, 0), 64);
        Thread.ofVirtual().name("tls-backend-" + group).start(this::acceptLoop);
    }

    /** Starts a backend answering for {@code group}. */
    static TlsBackend start(String group, boolean proxyV1) throws IOException {
        contexts();
        return new TlsBackend(group, proxyV1);
    }

    String address() {
        return new HostPort(TestBackend.LOOPBACK.getHostAddress(), socket.getLocalPort()).toString();
    }

    /**
     * A new client context that trusts the backends' certificate. New each time: the JDK resumes
     * a session cached for the same host and port, and a resuming hello carries the server name
     * of the session it resumes, not the one asked for.
     */
    static synchronized SSLContext clientContext() throws IOException {
        contexts();
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, trust, null);
            return c;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot make a client context", e);
        }
    }

    /** The backends' certificate as PEM, for {@code openssl s_client -CAfile}. */
    static Path certificatePem() throws IOException {
        contexts();
        return pem;
    }

    private static Path pem;

    private static synchronized void contexts() throws IOException {
        if (server != null) {
            return;
        }
        Path dir = Files.createTempDirectory("portico-sni-");
        dir.toFile().deleteOnExit();
        Path store = dir.resolve("backend.p12");
        pem = dir.resolve("backend.pem");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "backend", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=sni.test", "-ext", "SAN=dns:*.a.test,dns:b.test,dns:c.test", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", new String(PASSWORD));
        run(keytool, "-exportcert", "-rfc", "-alias", "backend", "-keystore", store.toString(),
                "-storepass", new String(PASSWORD), "-file", pem.toString());
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASSWORD);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASSWORD);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext s = SSLContext.getInstance("TLS");
            s.init(kmf.getKeyManagers(), null, null);
            trust = tmf.getTrustManagers();
            server = s;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot load the test key store", e);
        }
    }

    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            Socket c;
            try {
                c = socket.accept();
            } catch (IOException e) {
                return;
            }
            open.add(c);
            Thread.ofVirtual().name("tls-backend-" + group + "-conn").start(() -> serve(c));
        }
    }

    private void serve(Socket raw) {
        try (raw) {
            raw.setSoTimeout(10_000);
            String proxy = proxyV1 ? proxyLine(raw.getInputStream()) : "-";
            SSLSocketFactory f = server.getSocketFactory();
            try (SSLSocket tls = (SSLSocket) f.createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true)) {
                tls.setUseClientMode(false);
                tls.startHandshake();
                handshakes.incrementAndGet();
                String sni = "-";
                for (SNIServerName n : ((ExtendedSSLSession) tls.getSession()).getRequestedServerNames()) {
                    if (n instanceof SNIHostName host) {
                        sni = host.getAsciiName();
                    }
                }
                OutputStream out = tls.getOutputStream();
                out.write(("group=" + group + " sni=" + sni + " proxy=" + proxy + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException e) {
            // a client that went away, or a handshake a test broke on purpose
        } finally {
            open.remove(raw);
        }
    }

    /** Reads a PROXY v1 line byte by byte, so that nothing of the hello after it is taken. */
    private static String proxyLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                line.write(c);
            }
            if (line.size() > 107) {
                break;
            }
        }
        return line.toString(StandardCharsets.US_ASCII).replace(' ', '_');
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
