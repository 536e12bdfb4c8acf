package de.monticore.mlpipelines.tracking.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A mapping of a YAML configuration file with typed, validating accessors. Every error names the
 * file, the key path ({@code backends.mlflow.clean_up[1]}) and what was expected. String values
 * have their {@code ${ENV_VAR}} references resolved.
 *
 * <p>Backends receive their own section and turn it into a small typed record; no YAML node
 * travels further than that.
 */
public final class ConfigSection {
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private final String file;
    private final String path;
    private final Map<String, Object> values;
    private final Function<String, String> environment;

    /**
     * @param file        the file as the user named it, for messages
     * @param path        key path of this section, empty for the top level
     * @param values      the parsed mapping
     * @param environment looks up environment variables for {@code ${…}}; returns null when unset
     */
    public ConfigSection(String file, String path, Map<String, Object> values, Function<String, String> environment) {
        this.file = file;
        this.path = path;
        this.values = values == null ? Map.of() : values;
        this.environment = environment;
    }

    /** The file this section comes from, as the user named it. */
    public String file() {
        return file;
    }

    /** The key path of this section, empty for the top level. */
    public String path() {
        return path;
    }

    /** The key path of a key in this section. */
    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The keys present, in file order. */
    public Set<String> keys() {
        return Collections.unmodifiableSet(values.keySet());
    }

    /** The value as parsed, without environment resolution; for walking the whole file. */
    Object rawValue(String key) {
        return values.get(key);
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    /** An error about a key of this section. */
    public TrackingConfigException error(String key, String problem) {
        return new TrackingConfigException(file, key == null ? path : pathOf(key), problem);
    }

    /** Rejects keys other than the given ones, naming the valid keys. */
    public void rejectUnknownKeys(Set<String> known) {
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                throw error(key, "unknown key; expected one of " + String.join(", ", new TreeSet<>(known)));
            }
        }
    }

    /** A string value (numbers and booleans are taken as written), or the default when absent. */
    public String string(String key, String defaultValue) {
        return has(key) ? scalarToString(values.get(key), pathOf(key)) : defaultValue;
    }

    /** A string value that must be present and not blank. */
    public String requireString(String key) {
        String value = string(key, null);
        if (value == null) {
            throw error(key, "missing; expected a string");
        }
        if (value.isBlank()) {
            throw error(key, "is empty; expected a non-empty string");
        }
        return value;
    }

    /**
     * A whole number of at least {@code minimum} (written as a YAML integer or a string of digits),
     * or the default when absent.
     */
    public int integer(String key, int defaultValue, int minimum) {
        if (!has(key)) {
            return defaultValue;
        }
        Object value = values.get(key);
        String text = value instanceof Integer || value instanceof Long ? value.toString()
                : value instanceof String ? resolveEnvironment((String) value, pathOf(key)).trim() : null;
        try {
            if (text != null) {
                int parsed = Integer.parseInt(text);
                if (parsed >= minimum) {
                    return parsed;
                }
            }
        } catch (NumberFormatException e) {
            // reported below, like any other value that is not a whole number
        }
        throw error(key, "expected a whole number of at least " + minimum + ", got "
                + (value instanceof String ? "'" + value + "'" : describe(value)));
    }

    /** One of {@code choices} (exactly as written), or the default when absent; errors list the choices. */
    public String choice(String key, String defaultValue, List<String> choices) {
        String value = string(key, defaultValue);
        if (!choices.contains(value)) {
            throw error(key, "'" + value + "' is not valid; expected one of " + String.join(", ", choices));
        }
        return value;
    }

    /** A list of strings; a single string is not accepted, to catch indentation mistakes. */
    public List<String> stringList(String key) {
        if (!has(key)) {
            return List.of();
        }
        Object value = values.get(key);
        if (!(value instanceof List)) {
            throw error(key, "expected a list of strings, got " + describe(value));
        }
        List<String> result = new ArrayList<>();
        List<?> items = (List<?>) value;
        for (int i = 0; i < items.size(); i++) {
            result.add(scalarToString(items.get(i), pathOf(key) + "[" + i + "]"));
        }
        return result;
    }

    /** A list of enum constants, matched case-insensitively; errors list the valid names. */
    public <E extends Enum<E>> List<E> enumList(String key, Class<E> type, String what) {
        List<String> names = stringList(key);
        List<E> result = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            try {
                result.add(Enum.valueOf(type, name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                String valid = java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name)
                        .collect(Collectors.joining(", "));
                throw new TrackingConfigException(file, pathOf(key) + "[" + i + "]",
                        "'" + name + "' is not " + what + "; expected one of " + valid);
            }
        }
        return result;
    }

    /** A mapping of string keys to string values, in file order. */
    public Map<String, String> stringMap(String key) {
        ConfigSection section = section(key);
        Map<String, String> result = new LinkedHashMap<>();
        for (String k : section.keys()) {
            result.put(k, section.string(k, ""));
        }
        return result;
    }

    /** A nested mapping; an absent or empty ({@code key:}) one is an empty section. */
    public ConfigSection section(String key) {
        Object value = values.get(key);
        if (value == null) {
            return new ConfigSection(file, pathOf(key), Map.of(), environment);
        }
        if (!(value instanceof Map)) {
            throw error(key, "expected a mapping, got " + describe(value));
        }
        Map<String, Object> mapping = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
            if (!(entry.getKey() instanceof String)) {
                throw error(key, "keys must be strings, got " + describe(entry.getKey()));
            }
            mapping.put((String) entry.getKey(), entry.getValue());
        }
        return new ConfigSection(file, pathOf(key), mapping, environment);
    }

    /**
     * A copy of this section with the value at a dot-separated key path below it replaced (or added),
     * for command-line overrides ({@code --set training.epochs=5}) that are then validated exactly like
     * the file. Mappings along the path are copied, never changed in place; a missing one is created.
     *
     * @throws TrackingConfigException when a key along the path holds something other than a mapping
     */
    public ConfigSection withValue(String keyPath, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(values);
        int dot = keyPath.indexOf('.');
        if (dot < 0) {
            copy.put(keyPath, value);
            return new ConfigSection(file, path, copy, environment);
        }
        String key = keyPath.substring(0, dot);
        Object nested = values.get(key);
        if (nested != null && !(nested instanceof Map)) {
            throw error(key, "expected a mapping, got " + describe(nested));
        }
        ConfigSection child = section(key).withValue(keyPath.substring(dot + 1), value);
        copy.put(key, child.values);
        return new ConfigSection(file, path, copy, environment);
    }

    private String scalarToString(Object value, String keyPath) {
        if (value instanceof String) {
            return resolveEnvironment((String) value, keyPath);
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        throw new TrackingConfigException(file, keyPath, "expected a string, got " + describe(value));
    }

    private String resolveEnvironment(String value, String keyPath) {
        Matcher matcher = ENV_REFERENCE.matcher(value);
        StringBuilder resolved = new StringBuilder();
        while (matcher.find()) {
            String variable = matcher.group(1);
            String replacement = environment.apply(variable);
            if (replacement == null) {
                throw new TrackingConfigException(file, keyPath,
                        "environment variable " + variable + " is not set (referenced as ${" + variable + "})");
            }
            matcher.appendReplacement(resolved, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(resolved);
        return resolved.toString();
    }

    /** True when a string value is only {@code ${ENV_VAR}} references, i.e. holds no literal text. */
    static boolean isOnlyEnvironmentReferences(String value) {
        return !value.isBlank() && ENV_REFERENCE.matcher(value).replaceAll("").isBlank();
    }

    /** A short description of a YAML value's type, for messages. */
    static String describe(Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof Map) {
            return "a mapping";
        }
        if (value instanceof List) {
            return "a list";
        }
        if (value instanceof Boolean) {
            return "a boolean (" + value + ")";
        }
        if (value instanceof Number) {
            return "a number (" + value + ")";
        }
        if (value instanceof String) {
            return "a string";
        }
        return "a " + value.getClass().getSimpleName();
    }
}
