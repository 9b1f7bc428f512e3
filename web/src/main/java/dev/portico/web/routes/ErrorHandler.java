package dev.portico.web.routes;

/** Answers a request that failed: {@code error} is what a handler threw (null for a plain not-found). */
@FunctionalInterface
public interface ErrorHandler {

    Response handle(Request request, Throwable error) throws Exception;
}
