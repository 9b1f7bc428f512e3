package dev.portico.dns;

import java.net.InetAddress;
import java.util.List;

/**
 * What a dynamic record answers right now.
 *
 * @param addresses the addresses, in answer order; empty when every level is down
 * @param ttl       the TTL of the answer
 */
record DynamicAnswer(List<InetAddress> addresses, long ttl) {
}
