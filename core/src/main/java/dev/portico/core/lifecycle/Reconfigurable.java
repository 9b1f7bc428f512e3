package dev.portico.core.lifecycle;

/**
 * A service that can take a new config of its own type while running (SIGHUP reload): new
 * listeners open, removed ones close, and open connections are kept.
 *
 * @param <C> the service's config record
 */
public interface Reconfigurable<C> {

    /** Applies {@code config}; throws when it cannot be applied live, leaving the old one running. */
    void reconfigure(C config) throws Exception;
}
