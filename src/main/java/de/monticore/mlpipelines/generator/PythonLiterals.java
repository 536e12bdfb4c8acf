package de.monticore.mlpipelines.generator;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one place where values from an experiment description become Python source text. Templates
 * only paste what these functions return, so no template decides about quoting or escaping.
 *
 * <pre>{@code
 * PythonLiterals.string("say \"hi\"\n")   // "say \"hi\"\n"  (a double-quoted Python literal)
 * PythonLiterals.floatRepr(1e-5)          // 1e-05           (what Python's repr() prints)
 * PythonLiterals.identifier("batch_size") // batch_size      (checked, returned unchanged)
 * }</pre>
 */
public final class PythonLiterals {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** Python's reserved words and soft keywords; none of them may name a variable or option. */
    private static final Set<String> KEYWORDS = Set.of(
            "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
            "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
            "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
            "yield", "match", "case", "type", "_");

    private PythonLiterals() {
    }

    /**
     * A double-quoted Python string literal whose value is exactly {@code text}. Backslashes, quotes
     * and every character that is not printable on one line (controls, line and paragraph separators,
     * format characters, unassigned and private-use code points, non-ASCII spaces) are escaped;
     * other non-ASCII text is kept as it is (the generated files are UTF-8, Python's default).
     *
     * @throws IllegalArgumentException when {@code text} holds an unpaired surrogate, which no Python
     *                                  string read from UTF-8 can represent
     */
    public static String string(String text) {
        StringBuilder literal = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            i += Character.charCount(codePoint);
            switch (codePoint) {
                case '\\' -> literal.append("\\\\");
                case '"' -> literal.append("\\\"");
                case '\n' -> literal.append("\\n");
                case '\r' -> literal.append("\\r");
                case '\t' -> literal.append("\\t");
                default -> appendCodePoint(literal, codePoint);
            }
        }
        return literal.append('"').toString();
    }

    private static void appendCodePoint(StringBuilder literal, int codePoint) {
        if (codePoint >= 0x20 && codePoint < 0x7f) {
            literal.append((char) codePoint);
            return;
        }
        int type = Character.getType(codePoint);
        if (type == Character.SURROGATE) {
            throw new IllegalArgumentException(String.format(
                    "unpaired surrogate U+%04X; expected valid Unicode text", codePoint));
        }
        boolean invisible = codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)
                || type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.SPACE_SEPARATOR
                || type == Character.UNASSIGNED || type == Character.PRIVATE_USE;
        if (!invisible) {
            literal.appendCodePoint(codePoint);
        } else if (codePoint <= 0xff) {
            literal.append(String.format("\\x%02x", codePoint));
        } else if (codePoint <= 0xffff) {
            literal.append(String.format("\\u%04x", codePoint));
        } else {
            literal.append(String.format("\\U%08x", codePoint));
        }
    }

    /**
     * The text Python's {@code repr(float)} (and {@code str(float)}) prints for a value: {@code 0.1},
     * {@code 100.0}, {@code 1e-05}, {@code 1.5e+16}, {@code nan}, {@code inf}. It is also a valid
     * Python literal for every finite value.
     */
    public static String floatRepr(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        if (value == 0) {
            return (1 / value < 0) ? "-0.0" : "0.0";
        }
        BigDecimal decimal = shortestRoundTrip(value);
        String digits = decimal.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - decimal.scale();
        String sign = value < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = decimal.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }

    /**
     * The value with the fewest significant digits that reads back as the same double, correctly
     * rounded, as Python's repr chooses it (Java 17's Double.toString is not always the shortest).
     */
    private static BigDecimal shortestRoundTrip(double value) {
        for (int digits = 1; digits < 17; digits++) {
            String candidate = String.format(Locale.ROOT, "%." + (digits - 1) + "e", value);
            if (Double.parseDouble(candidate) == value) {
                return new BigDecimal(candidate).stripTrailingZeros();
            }
        }
        return new BigDecimal(String.format(Locale.ROOT, "%.16e", value)).stripTrailingZeros();
    }

    /** A list of integers as a Python list literal: {@code [64, 32]}. */
    public static String intList(java.util.List<Integer> values) {
        return values.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ", "[", "]"));
    }

    /** True when {@code name} can be used as a Python identifier: ASCII letters, digits, underscores, no keyword. */
    public static boolean isIdentifier(String name) {
        return name != null && IDENTIFIER.matcher(name).matches() && !KEYWORDS.contains(name);
    }

    /**
     * Returns {@code name} when it is a valid Python identifier (see {@link #isIdentifier(String)}).
     *
     * @throws IllegalArgumentException naming the problem otherwise
     */
    public static String identifier(String name) {
        if (name == null || !IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a Python identifier; expected ASCII "
                    + "letters, digits and underscores, not starting with a digit");
        }
        if (KEYWORDS.contains(name)) {
            throw new IllegalArgumentException("'" + name + "' is a Python keyword; expected another name");
        }
        return name;
    }
}
