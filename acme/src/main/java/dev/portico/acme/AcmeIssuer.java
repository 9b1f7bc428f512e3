package dev.portico.acme;

import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.exception.AcmeException;

import java.io.IOException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Gets one certificate for one name from an ACME directory with acme4j: logs in (registering the
 * account on first use), and for each challenge type in turn places a new order, publishes the
 * challenge answer in {@link PendingChallenges}, asks the server to validate, and on success
 * finalizes with a fresh P-256 key. A failed challenge makes its authorization invalid, which is
 * why the next type gets an order of its own. Calls run one at a time (acme4j's session is not
 * shared between threads).
 */
final class AcmeIssuer {

    /** A new certificate chain and its key. */
    record Issued(KeyPair key, List<X509Certificate> chain) {
    }

    /** Every challenge type failed; the message lists why each did. */
    static final class IssueException extends Exception {
        IssueException(String message) {
            super(message);
        }
    }

    private final Session session;
    private final CertificateStore store;
    private final String email;
    private final Duration timeout;
    private Login login;

    AcmeIssuer(Session session, CertificateStore store, String email, Duration timeout) {
        this.session = session;
        this.store = store;
        this.email = email;
        this.timeout = timeout;
    }

    /**
     * Orders a certificate for {@code name}, trying {@code types} in order.
     *
     * @throws IssueException       when no challenge type led to a certificate
     * @throws AcmeException        when the server cannot be reached or refuses the account
     * @throws IOException          when the account key cannot be read or stored
     * @throws InterruptedException when the thread is interrupted while waiting for the server
     */
    synchronized Issued issue(String name, List<ChallengeType> types, PendingChallenges pending)
            throws IssueException, AcmeException, IOException, InterruptedException {
        Login l = login();
        List<String> failures = new ArrayList<>();
        for (ChallengeType type : types) {
            Order order;
            try {
                order = l.newOrder().domain(name).create();
            } catch (AcmeException e) {
                this.login = null;
                throw e;
            }
            Optional<String> failure = authorize(order, name, type, pending);
            if (failure.isPresent()) {
                failures.add(type + ": " + failure.get());
                continue;
            }
            Status ready = order.waitUntilReady(timeout);
            if (ready != Status.READY && ready != Status.VALID) {
                failures.add(type + ": the order is " + word(ready) + problem(order.getError()));
                continue;
            }
            KeyPair key = Keys.ecP256();
            order.execute(key);
            Status done = order.waitForCompletion(timeout);
            if (done != Status.VALID) {
                failures.add(type + ": the finalized order is " + word(done) + problem(order.getError()));
                continue;
            }
            List<X509Certificate> chain = order.getCertificate().getCertificateChain();
            return new Issued(key, chain);
        }
        throw new IssueException(String.join("; ", failures));
    }

    /** Validates each pending authorization of the order with one challenge type; the reason when one fails. */
    private Optional<String> authorize(Order order, String name, ChallengeType type, PendingChallenges pending)
            throws AcmeException, InterruptedException {
        for (Authorization auth : order.getAuthorizations()) {
            if (auth.getStatus() == Status.VALID) {
                continue;
            }
            if (auth.getStatus() != Status.PENDING) {
                return Optional.of("the authorization is " + word(auth.getStatus()));
            }
            Optional<String> failure = switch (type) {
                case HTTP_01 -> {
                    Optional<Http01Challenge> c = auth.findChallenge(Http01Challenge.class);
                    if (c.isEmpty()) {
                        yield Optional.of("not offered by the server");
                    }
                    pending.putHttp01(name, c.get().getToken(), c.get().getAuthorization());
                    try {
                        yield validate(c.get());
                    } finally {
                        pending.removeHttp01(name, c.get().getToken());
                    }
                }
                case TLS_ALPN_01 -> {
                    Optional<TlsAlpn01Challenge> c = auth.findChallenge(TlsAlpn01Challenge.class);
                    if (c.isEmpty()) {
                        yield Optional.of("not offered by the server");
                    }
                    pending.putTlsAlpn01(name, ValidationCertificates.create(name, c.get().getAcmeValidation()));
                    try {
                        yield validate(c.get());
                    } finally {
                        pending.removeTlsAlpn01(name);
                    }
                }
            };
            if (failure.isPresent()) {
                return failure;
            }
        }
        return Optional.empty();
    }

    private Optional<String> validate(Challenge challenge) throws AcmeException, InterruptedException {
        challenge.trigger();
        Status s = challenge.waitForCompletion(timeout);
        if (s == Status.VALID) {
            return Optional.empty();
        }
        return Optional.of("validation " + word(s) + problem(challenge.getError()));
    }

    private Login login() throws AcmeException, IOException {
        if (login == null) {
            AccountBuilder b = new AccountBuilder().agreeToTermsOfService().useKeyPair(store.accountKey());
            if (email != null) {
                b.addEmail(email);
            }
            login = b.createLogin(session);
        }
        return login;
    }

    private static String word(Status s) {
        return s.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String problem(Optional<Problem> p) {
        return p.map(AcmeIssuer::describe).map(d -> ": " + d).orElse("");
    }

    /** The detail of a problem, or its type when it has none. */
    static String describe(Problem p) {
        return p.getDetail().orElseGet(() -> p.getTitle().orElse(p.getType().toString()));
    }
}
