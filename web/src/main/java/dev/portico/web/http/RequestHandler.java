package dev.portico.web.http;

/** One step of request handling: answers the exchange, or passes it on by returning false. */
@FunctionalInterface
public interface RequestHandler {

    /**
     * Handles a request whose headers have arrived.
     *
     * @return true when this handler answered (or will answer) the exchange
     */
    boolean handle(Exchange exchange) throws Exception;
}
