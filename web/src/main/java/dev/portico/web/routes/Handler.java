package dev.portico.web.routes;

/** Answers a routed request. Throwing {@link HttpError} answers with its status; anything else is a 500. */
@FunctionalInterface
public interface Handler {

    Response handle(Request request) throws Exception;
}
