package dev.portico.server;

import dev.portico.testing.EchoServiceType;
import dev.portico.dns.DnsServiceType;
import dev.portico.web.WebServiceType;

/** The service types tests run with: the echo test services and the real web and dns types. */
public final class TestTypes {

    private TestTypes() {
    }

    /** echo, static-echo, web and dns. */
    public static ServiceTypes all() {
        return ServiceTypes.of(new EchoServiceType(), new EchoServiceType(false), new WebServiceType(),
                new DnsServiceType());
    }
}
