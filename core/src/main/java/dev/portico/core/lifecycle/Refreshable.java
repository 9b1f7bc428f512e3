package dev.portico.core.lifecycle;

/**
 * A service whose data lives in files of its own (zone files, range lists) besides its config
 * section. On a reload (SIGHUP) whose config for this service is unchanged, the service is asked
 * to read those files again; a failure leaves the old data serving.
 */
public interface Refreshable {

    /** Reads the service's own files again and swaps the new data in at once. */
    void refresh() throws Exception;
}
