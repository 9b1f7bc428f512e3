package dev.portico.core.limits;

/**
 * The most connections one listener kind of a service holds at once, and what each costs in
 * file descriptors.
 *
 * @param service                the service name
 * @param what                   what the cap is on, such as {@code connections} or {@code tcp connections}
 * @param max                    the cap in force
 * @param descriptorsPerConnection descriptors one connection holds: 1 for a client socket, 2 when
 *                               each client connection has an upstream one too
 */
public record ConnectionCap(String service, String what, int max, int descriptorsPerConnection) {

    /** The descriptors this cap lets the service hold. */
    public long descriptors() {
        return (long) max * descriptorsPerConnection;
    }

    @Override
    public String toString() {
        return service + " " + what + " " + max + (descriptorsPerConnection > 1 ? " x " + descriptorsPerConnection : "");
    }
}
