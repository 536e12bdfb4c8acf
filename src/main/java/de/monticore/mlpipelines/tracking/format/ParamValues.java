package de.monticore.mlpipelines.tracking.format;

import java.math.BigInteger;
import java.util.regex.Pattern;

/**
 * Which logged param texts are stored in a run directory's {@code params.yaml} as YAML numbers or
 * booleans, so that {@code yaml.safe_load} gives them back with their type, as Lightning's
 * {@code hparams.yaml} does. A text gets a type only when turning the typed value back into text
 * (Python's {@code str}, {@link #text} here) gives exactly the logged text:
 * <ul>
 *   <li>an integer in canonical form: {@code 3}, {@code -2}, {@code 0} (no sign {@code +}, no leading
 *       zeros, no {@code -0}, at most 4300 digits, Python's default limit for {@code int(text)});</li>
 *   <li>a float that is Python's {@code repr(float(text))}: {@code 0.1}, {@code 1e-05}, {@code 100.0},
 *       {@code -0.0}, {@code nan}, {@code inf}, {@code -inf};</li>
 *   <li>{@code True} or {@code False}, Python's {@code str} of a boolean.</li>
 * </ul>
 * Everything else stays a string: {@code 0.10}, {@code 1e5}, {@code 1E-05}, {@code +3}, {@code 007},
 * {@code true}, {@code yes}. The Python half holds the same rule
 * ({@code mlpipelines.tracking.rundirs.typed_param}); a contract test checks they agree.
 */
public final class ParamValues {
    /** Python 3.11's default {@code sys.int_info.default_max_str_digits}: longer texts fail in {@code int()}. */
    private static final int MAX_INT_DIGITS = 4300;
    private static final Pattern CANONICAL_INT = Pattern.compile("0|-?[1-9][0-9]*");

    private ParamValues() {
    }

    /**
     * The value to store for a logged param text: a {@link BigInteger}, a {@link Double}, a
     * {@link Boolean} or the text itself, by the rule of this class.
     */
    public static Object typed(String text) {
        if (text.equals("True") || text.equals("False")) {
            return Boolean.valueOf(text.equals("True"));
        }
        if (CANONICAL_INT.matcher(text).matches() && text.length() - (text.startsWith("-") ? 1 : 0) <= MAX_INT_DIGITS) {
            return new BigInteger(text);
        }
        Double number = pythonFloat(text);
        return number != null ? number : text;
    }

    /**
     * The text of a stored value, as Python's {@code str} gives it: {@code True}, {@code 1e-05};
     * {@code null} is the empty text. {@code text(typed(t)).equals(t)} for every text {@code t}.
     */
    public static String text(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof Boolean) {
            return ((Boolean) value) ? "True" : "False";
        }
        if (value instanceof Double || value instanceof Float) {
            return PythonFloat.repr(((Number) value).doubleValue());
        }
        return String.valueOf(value);
    }

    /** The double whose Python repr is exactly {@code text}, or null. */
    private static Double pythonFloat(String text) {
        switch (text) {
            case "nan":
                return Double.NaN;
            case "inf":
                return Double.POSITIVE_INFINITY;
            case "-inf":
                return Double.NEGATIVE_INFINITY;
            default:
                break;
        }
        // Java's parser accepts more than Python's ("1d", "0x1p3", "Infinity"), but such texts are never a repr.
        if (text.isEmpty() || !(Character.isDigit(text.charAt(0)) || text.charAt(0) == '-')) {
            return null;
        }
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return null;
        }
        return PythonFloat.repr(value).equals(text) ? value : null;
    }
}
