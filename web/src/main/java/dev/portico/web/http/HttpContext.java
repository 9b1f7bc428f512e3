package dev.portico.web.http;

import io.netty.channel.ChannelOption;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every connection of a service shares: options, the handler, the error pages, the date
 * line, a connection counter and a completion listener. A reload builds a new one; connections
 * pick it up with their next request.
 *
 * @param options        limits and timeouts
 * @param handler        the request handler chain
 * @param errorPages     error bodies
 * @param dates          the shared Date line
 * @param connections    open connections of the service
 * @param listener       told when each exchange completes
 * @param tcpCork        the transport's TCP_CORK option, or null
 * @param allowedMethods the Allow header value for 405 answers
 */
public record HttpContext(HttpOptions options, RequestHandler handler, ErrorPages errorPages, HttpDates dates,
                          AtomicInteger connections, ExchangeListener listener, ChannelOption<Boolean> tcpCork,
                          String allowedMethods) {
}
