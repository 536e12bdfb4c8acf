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
    /** Anything written like a reference, well-formed or not: {@code ${}}, {@code ${1X}}, an unclosed {@code ${X}. */
    private static final Pattern ANY_REFERENCE = Pattern.compile("\\$\\{[^}]*}?");

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
                throw error(key, "unknown key; expected one of " + String.join(", ", new TreeSet<>(known))
                        + Suggestions.didYouMean(key, known));
            }
        }
    }

    /**
     * A string value, or the default when absent. A number or a boolean is refused rather than turned
     * into text: {@code log_dir: 7} or {@code experiment_name: 5} is more likely a slip than meant (quote
     * it to mean the text).
     */
    public String string(String key, String defaultValue) {
        return has(key) ? stringValue(values.get(key), pathOf(key)) : defaultValue;
    }

    /**
     * A number written as a YAML number, as its text ({@code 3}, {@code 0.1}, {@code 1e-3}), or the default
     * when absent; a value that is only {@code ${ENV_VAR}} references gives the variables' text. A quoted
     * number ({@code epochs: "3"}), a boolean or another string is refused, naming {@code expected}; the
     * caller parses and range-checks the text.
     */
    public String numberText(String key, String defaultValue, String expected) {
        return has(key) ? numberValue(values.get(key), pathOf(key), expected) : defaultValue;
    }

    /** A list of YAML numbers as their texts, refusing anything else item by item (see {@link #numberText}). */
    public List<String> numberList(String key, String expected) {
        if (!has(key)) {
            return List.of();
        }
        Object value = values.get(key);
        if (!(value instanceof List)) {
            throw error(key, "expected a list of numbers, got " + describe(value));
        }
        List<String> result = new ArrayList<>();
        List<?> items = (List<?>) value;
        for (int i = 0; i < items.size(); i++) {
            result.add(numberValue(items.get(i), pathOf(key) + "[" + i + "]", expected));
        }
        return result;
    }

    /**
     * A list of scalars as their texts: strings (with {@code ${ENV_VAR}} references resolved), numbers and
     * booleans as written. For lists whose items take the type of another key, such as a sweep's values,
     * which are checked later against the key they stand for.
     */
    public List<String> scalarList(String key) {
        if (!has(key)) {
            return List.of();
        }
        Object value = values.get(key);
        if (!(value instanceof List)) {
            throw error(key, "expected a list of values, got " + describe(value));
        }
        List<String> result = new ArrayList<>();
        List<?> items = (List<?>) value;
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            result.add(item instanceof Number || item instanceof Boolean ? item.toString()
                    : stringValue(item, pathOf(key) + "[" + i + "]"));
        }
        return result;
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
     * A whole number of at least {@code minimum}, written as a YAML integer (or only {@code ${ENV_VAR}}
     * references), or the default when absent; a quoted number is refused like in {@link #numberText}.
     */
    public int integer(String key, int defaultValue, int minimum) {
        if (!has(key)) {
            return defaultValue;
        }
        Object value = values.get(key);
        String text = value instanceof Integer || value instanceof Long ? value.toString()
                : value instanceof String && isOnlyEnvironmentReferences((String) value)
                ? resolveEnvironment((String) value, pathOf(key)).trim() : null;
        if (value instanceof String && text == null && isNumeric((String) value)) {
            throw error(key, "'" + value + "' is a string; expected a whole number of at least " + minimum
                    + " (write it without quotes)");
        }
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

    /** A YAML boolean ({@code true} or {@code false}), or the default when absent; text is refused. */
    public boolean bool(String key, boolean defaultValue) {
        if (!has(key)) {
            return defaultValue;
        }
        Object value = values.get(key);
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        boolean quoted = value instanceof String && ((String) value).strip().matches("(?i)true|false");
        throw error(key, (value instanceof String ? "'" + value + "'" : describe(value))
                + " is not a boolean; expected true or false" + (quoted ? " (write it without quotes)" : ""));
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
            result.add(stringValue(items.get(i), pathOf(key) + "[" + i + "]"));
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

    /**
     * A mapping of non-empty string keys to text values, in file order (tags). A value may be a string, a
     * number or a boolean, kept as written ({@code version: 3} is the text {@code 3}): a tag's value is
     * text in every backend, so nothing is lost.
     */
    public Map<String, String> stringMap(String key) {
        ConfigSection section = section(key);
        Map<String, String> result = new LinkedHashMap<>();
        for (String k : section.keys()) {
            if (k.isBlank()) {
                throw error(key, "has an empty key; expected a name for every entry");
            }
            Object value = section.values.get(k);
            result.put(k, value instanceof Number || value instanceof Boolean ? value.toString()
                    : value == null ? "" : section.stringValue(value, section.pathOf(k)));
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

    /**
     * A list whose items are mappings, each as a section at {@code key[i]}; a bare name item
     * ({@code - relu}) reads as a mapping of that name to nothing ({@code - relu:}), YAML's short form.
     *
     * @throws TrackingConfigException when the value is not a list, or an item is neither a name nor a mapping
     */
    public List<ConfigSection> sectionList(String key) {
        if (!has(key)) {
            return List.of();
        }
        Object value = values.get(key);
        if (!(value instanceof List)) {
            throw error(key, "expected a list, got " + describe(value));
        }
        List<ConfigSection> result = new ArrayList<>();
        List<?> items = (List<?>) value;
        for (int i = 0; i < items.size(); i++) {
            String itemPath = pathOf(key) + "[" + i + "]";
            Object item = items.get(i);
            Map<String, Object> mapping = new LinkedHashMap<>();
            if (item instanceof String) {
                mapping.put((String) item, null);
            } else if (item instanceof Map) {
                for (Map.Entry<?, ?> entry : ((Map<?, ?>) item).entrySet()) {
                    if (!(entry.getKey() instanceof String)) {
                        throw new TrackingConfigException(file, itemPath, "keys must be strings, got "
                                + describe(entry.getKey()));
                    }
                    mapping.put((String) entry.getKey(), entry.getValue());
                }
            } else {
                throw new TrackingConfigException(file, itemPath, "expected a name or a mapping, got " + describe(item));
            }
            result.add(new ConfigSection(file, itemPath, mapping, environment));
        }
        return result;
    }

    private String stringValue(Object value, String keyPath) {
        if (value instanceof String) {
            return resolveEnvironment((String) value, keyPath);
        }
        if (value instanceof Number || value instanceof Boolean) {
            throw new TrackingConfigException(file, keyPath, "expected a string, got " + describe(value)
                    + "; quote it ('" + value + "') if the text is meant");
        }
        throw new TrackingConfigException(file, keyPath, "expected a string, got " + describe(value));
    }

    private String numberValue(Object value, String keyPath, String expected) {
        if (value instanceof Number) {
            return value.toString();
        }
        if (value instanceof String && isOnlyEnvironmentReferences((String) value)) {
            return resolveEnvironment((String) value, keyPath);  // epochs: ${EPOCHS}; the caller parses the text
        }
        if (value instanceof String) {
            throw new TrackingConfigException(file, keyPath, "'" + value + "' is a string; expected " + expected
                    + (isNumeric((String) value) ? " (write it without quotes)" : ""));
        }
        throw new TrackingConfigException(file, keyPath, "expected " + expected + ", got " + describe(value));
    }

    private static boolean isNumeric(String text) {
        return text.strip().matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");
    }

    private String resolveEnvironment(String value, String keyPath) {
        Matcher written = ANY_REFERENCE.matcher(value);
        while (written.find()) {
            if (!ENV_REFERENCE.matcher(written.group()).matches()) {
                throw new TrackingConfigException(file, keyPath, "'" + written.group() + "' is not a valid environment "
                        + "variable reference; expected ${NAME}, NAME being a letter or _ followed by letters, digits or _");
            }
        }
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
