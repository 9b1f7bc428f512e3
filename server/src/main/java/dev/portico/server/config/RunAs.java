package dev.portico.server.config;

/**
 * The top-level {@code user} and {@code group}: whom a process started as root runs as once its
 * listeners are bound.
 *
 * @param user  the user name, or null to keep running as the starting user
 * @param group the group name, or null for the user's primary group
 */
public record RunAs(String user, String group) {

    /** Keep the starting user. */
    public static final RunAs NONE = new RunAs(null, null);

    /** Whether a switch is asked for. */
    public boolean enabled() {
        return user != null;
    }
}
