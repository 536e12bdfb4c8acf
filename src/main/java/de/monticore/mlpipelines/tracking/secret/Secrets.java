package de.monticore.mlpipelines.tracking.secret;

import java.util.regex.Pattern;

/**
 * Recognises keys and values that hold credentials, so that they are masked in output and warned
 * about in configuration files. Errs on the side of masking.
 */
public final class Secrets {
    /** What a masked value prints as. */
    public static final String MASK = "********";

    // "password" and "secret" anywhere; "token" and "auth" only as whole words, so that
    // tokenizer_vocab_size and author stay visible. The flags make the rule read keys as Python's
    // re.IGNORECASE does: Unicode case folding (U+017F 'ſ' is an 's') and '.' stopping only at '\n'.
    private static final Pattern SECRET_KEY = Pattern.compile(
            ".*(password|passwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|credential).*"
                    + "|(.*[_.-])?(token|auth|pwd)([_.-].*)?",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNIX_LINES);

    private static final Pattern SECRET_VALUE = Pattern.compile(
            "(?i)(.*(password|passwd|secret|token|api[_-]?key)\\s*[=:].+)"
                    + "|((sk|pk|rk)-[A-Za-z0-9_-]{16,})"
                    + "|(gh[pousr]_[A-Za-z0-9]{20,})"
                    + "|(xox[abpr]-[A-Za-z0-9-]{10,})"
                    + "|(AKIA[0-9A-Z]{16})"
                    + "|(eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*)"
                    + "|([a-z][a-z0-9+.-]*://[^/\\s:@]+:[^/\\s@]+@.*)",
            Pattern.DOTALL);

    private Secrets() {
    }

    /** True for keys such as {@code password}, {@code MLFLOW_TRACKING_TOKEN}, {@code db_api_key}. */
    public static boolean isSecretKey(String key) {
        return key != null && SECRET_KEY.matcher(key).matches();
    }

    /** True for values that look like a credential on their own (tokens, {@code user:pw@host} URLs). */
    public static boolean looksSecret(String value) {
        return value != null && SECRET_VALUE.matcher(value.strip()).matches();
    }

    /**
     * The text with every value of a secret-named environment variable ({@code MLFLOW_TRACKING_TOKEN},
     * {@code MLFLOW_TRACKING_PASSWORD}, …) replaced by {@link #MASK}: a last line of defence for
     * messages that quote a server's answer or a command line.
     */
    public static String redactEnvironmentSecrets(String text) {
        return redactEnvironmentSecrets(text, System.getenv());
    }

    /** As {@link #redactEnvironmentSecrets(String)}, with the given environment. */
    public static String redactEnvironmentSecrets(String text, java.util.Map<String, String> environment) {
        if (text == null) {
            return null;
        }
        String result = text;
        for (java.util.Map.Entry<String, String> variable : environment.entrySet()) {
            String value = variable.getValue();
            if (isSecretKey(variable.getKey()) && value != null && value.length() >= 4) {
                result = result.replace(value, MASK);
            }
        }
        return result;
    }

    /**
     * The value to store for a param or a tag: {@link #MASK} under a secret-looking key, else the value.
     * The one rule for what reaches a backend, in both languages ({@code redaction.stored_value} in
     * Python): a secret never lands in clear in MLflow, a CSV run directory or a TensorBoard event file.
     */
    public static String storedValue(String key, String value) {
        return isSecretKey(key) ? MASK : value;
    }

    /** {@link #storedValue} for every entry, in the map's order. */
    public static java.util.Map<String, String> storedValues(java.util.Map<String, String> values) {
        java.util.Map<String, String> result = new java.util.LinkedHashMap<>();
        values.forEach((key, value) -> result.put(key, storedValue(key, value)));
        return result;
    }

    /** The value to show for a key/value pair: the value itself, or {@link #MASK}. */
    public static String maskIfSecret(String key, String value) {
        return isSecretKey(key) || looksSecret(value) ? MASK : value;
    }
}
