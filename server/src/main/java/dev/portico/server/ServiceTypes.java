package dev.portico.server;

import dev.portico.core.lifecycle.ServiceType;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The service types a process knows, by the word used after {@code type:}. Built once by
 * {@link Main} and handed to the commands; tests build their own with test-only types.
 */
public final class ServiceTypes {

    private final Map<String, ServiceType<?>> byName;

    private ServiceTypes(Map<String, ServiceType<?>> byName) {
        this.byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }

    /** A registry of the given types; two types with one name is an error. */
    public static ServiceTypes of(List<? extends ServiceType<?>> types) {
        Map<String, ServiceType<?>> m = new LinkedHashMap<>();
        for (ServiceType<?> t : types) {
            if (m.putIfAbsent(t.name(), t) != null) {
                throw new IllegalArgumentException("two service types are named '" + t.name() + "'");
            }
        }
        return new ServiceTypes(m);
    }

    public static ServiceTypes of(ServiceType<?>... types) {
        return of(List.of(types));
    }

    public Optional<ServiceType<?>> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Set<String> names() {
        return byName.keySet();
    }
}
