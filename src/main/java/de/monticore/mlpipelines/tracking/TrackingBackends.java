package de.monticore.mlpipelines.tracking;

import de.monticore.mlpipelines.tracking.config.Suggestions;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * The registry of every backend this JVM knows: the {@link TrackingBackend} constants first, then
 * the providers found by {@link ServiceLoader} on the classpath. Names are matched
 * case-insensitively; an unknown name gets an error that lists the known ones.
 */
public final class TrackingBackends {
    private static final Pattern NAME = Pattern.compile("[A-Z][A-Z0-9_]*");

    private final Map<String, TrackingBackendProvider<?>> byName;

    private TrackingBackends(Map<String, TrackingBackendProvider<?>> byName) {
        this.byName = byName;
    }

    /** Built-in backends plus the providers on the context class loader's classpath. */
    public static TrackingBackends discover() {
        return discover(Thread.currentThread().getContextClassLoader());
    }

    /** Built-in backends plus the providers visible to the given class loader. */
    public static TrackingBackends discover(ClassLoader classLoader) {
        Map<String, TrackingBackendProvider<?>> byName = new LinkedHashMap<>();
        for (TrackingBackend backend : TrackingBackend.values()) {
            byName.put(backend.name(), backend.provider());
        }
        for (TrackingBackendProvider<?> provider : ServiceLoader.load(TrackingBackendProvider.class, classLoader)) {
            String name = provider.name();
            String source = provider.getClass().getName();
            if (name == null || !NAME.matcher(name).matches()) {
                throw new TrackingException("tracking backend provider " + source + " has the name '" + name
                        + "'; expected upper-case letters, digits and '_', starting with a letter");
            }
            TrackingBackendProvider<?> previous = byName.putIfAbsent(name, provider);
            if (previous != null && previous != provider) {
                throw new TrackingException("tracking backend " + name + " is provided twice: by "
                        + previous.getClass().getName() + " and by " + source);
            }
        }
        return new TrackingBackends(Collections.unmodifiableMap(byName));
    }

    /** Every known backend, built-in ones first, in declaration order. */
    public List<TrackingBackendProvider<?>> all() {
        return new ArrayList<>(byName.values());
    }

    /** The known names, for messages. */
    public List<String> names() {
        return new ArrayList<>(byName.keySet());
    }

    /** The backend with this name, any case. */
    public Optional<TrackingBackendProvider<?>> find(String name) {
        return Optional.ofNullable(byName.get(name.trim().toUpperCase(Locale.ROOT)));
    }

    /**
     * The backend with this name, any case.
     *
     * @throws TrackingConfigException naming the file and key path, listing the known backends
     */
    public TrackingBackendProvider<?> require(String name, String file, String keyPath) {
        return find(name).orElseThrow(() -> new TrackingConfigException(file, keyPath,
                "'" + name + "' is not a tracking backend; expected one of " + String.join(", ", names())
                        + Suggestions.didYouMean(name, names())));
    }
}
