package dev.portico.web.http;

/** Told when an exchange has written its whole response (access log, metrics). */
@FunctionalInterface
public interface ExchangeListener {

    void completed(Exchange exchange);
}
