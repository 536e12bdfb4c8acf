package de.monticore.mlpipelines.tracking;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The rule for the options the Java half hands to the Python half (the bridge contract): every key
 * matches {@code [a-z][a-z0-9_]*} and starts with its backend's prefix ({@code mlflow_}), no key
 * comes from two backends, and {@value #BACKENDS_KEY} names the enabled backends. Both the options of
 * a started run ({@code MultiBackendTracker.getPythonParams()}) and a generated script's defaults
 * ({@code TrackingConfig.pythonDefaults()}) are merged here.
 */
public final class PythonOptions {
    /** The one key every backend shares: the enabled backends' names, comma-separated. */
    public static final String BACKENDS_KEY = "tracking_backends";

    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9_]*");
    private static final String SHARED_KEY_OWNER = "MultiBackendTracker";

    private PythonOptions() {
    }

    /** One backend's options, under the backend's name ({@code MLFLOW}). */
    public record BackendOptions(String backend, Map<String, String> options) {
    }

    /**
     * Merges the backends' options, sorted by key, and adds {@value #BACKENDS_KEY} with the backends'
     * names in the given order (the empty string when there is none).
     *
     * @throws TrackingException when a key breaks the rule or two backends produce the same key
     */
    public static SortedMap<String, String> merge(List<BackendOptions> backends) {
        SortedMap<String, String> merged = new TreeMap<>();
        Map<String, String> producedBy = new HashMap<>();
        merged.put(BACKENDS_KEY, backends.stream().map(BackendOptions::backend).collect(Collectors.joining(",")));
        producedBy.put(BACKENDS_KEY, SHARED_KEY_OWNER);
        for (BackendOptions backend : backends) {
            String prefix = backend.backend().toLowerCase(Locale.ROOT) + "_";
            // In key order, so that a clash is reported the same way whatever order the backend's map has.
            for (Map.Entry<String, String> option : new TreeMap<>(backend.options()).entrySet()) {
                String key = option.getKey();
                if (!KEY.matcher(key).matches() || !key.startsWith(prefix)) {
                    throw new TrackingException("backend " + backend.backend() + " produced the Python option '" + key
                            + "'; expected [a-z][a-z0-9_]* starting with '" + prefix + "'");
                }
                String previous = producedBy.putIfAbsent(key, backend.backend());
                if (previous != null) {
                    throw new TrackingException("the Python option '" + key + "' is produced by both "
                            + previous + " and " + backend.backend());
                }
                merged.put(key, option.getValue());
            }
        }
        return Collections.unmodifiableSortedMap(merged);
    }
}
