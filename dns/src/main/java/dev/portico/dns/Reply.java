package dev.portico.dns;

import org.xbill.DNS.Message;

/**
 * An answer built by the {@link Answerer}.
 *
 * @param message   the response
 * @param cacheable whether its bytes depend only on the zones (no dynamic record involved)
 */
record Reply(Message message, boolean cacheable) {
}
