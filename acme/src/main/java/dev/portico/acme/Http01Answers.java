package dev.portico.acme;

import java.util.Optional;

/**
 * The HTTP-01 answers a plain HTTP listener serves while an order is pending: a request for
 * {@code /.well-known/acme-challenge/TOKEN} with the name being validated as its host gets the
 * key authorization as a {@code text/plain} body with status 200.
 */
@FunctionalInterface
public interface Http01Answers {

    /** The path prefix every HTTP-01 request starts with. */
    String PATH_PREFIX = "/.well-known/acme-challenge/";

    /**
     * The answer to a request, if one is pending for it.
     *
     * @param host the request's Host header (a port after the name is ignored); null when absent
     * @param path the request path without the query
     * @return the key authorization to send as the body, or empty when the request is not a
     *         pending challenge (the listener then handles it as any other request)
     */
    Optional<String> answer(String host, String path);
}
