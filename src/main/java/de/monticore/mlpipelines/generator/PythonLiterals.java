package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.tracking.format.PythonFloat;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one place where values from an experiment description become Python source text. Templates
 * only paste what these functions return, so no template decides about quoting or escaping. Floats
 * are written by {@link PythonFloat#repr(double)}, the one Java copy of Python's {@code repr(float)}.
 *
 * <pre>{@code
 * PythonLiterals.string("say \"hi\"\n")   // "say \"hi\"\n"  (a double-quoted Python literal)
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
