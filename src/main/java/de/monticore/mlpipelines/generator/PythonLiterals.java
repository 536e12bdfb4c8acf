package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.tracking.format.PythonFloat;

import java.util.ArrayList;
import java.util.List;
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

    /** The line length of the project's ruff configuration, which generated scripts keep to. */
    public static final int LINE_LENGTH = 120;

    /**
     * A Python string literal whose value is exactly {@code text}, in printable ASCII, double-quoted
     * unless the text holds more double than single quotes (ruff format's choice):
     * backslashes, quotes, controls and every non-ASCII character are escaped ({@code \n},
     * {@code \xfc}, {@code \u6570}, {@code \U0001f522}). ASCII-only source cannot hide look-alike or
     * invisible characters, and its width is its length, so line lengths are exact.
     *
     * @throws IllegalArgumentException when {@code text} holds an unpaired surrogate, which no Python
     *                                  string read from UTF-8 can represent
     */
    public static String string(String text) {
        return string(text, quoteFor(text));
    }

    /** The quote ruff format picks: double, unless the text holds more double than single quotes. */
    private static char quoteFor(String text) {
        long doubles = text.chars().filter(c -> c == '"').count();
        long singles = text.chars().filter(c -> c == '\'').count();
        return doubles > singles ? '\'' : '"';
    }

    private static String string(String text, char quote) {
        StringBuilder literal = new StringBuilder(text.length() + 2).append(quote);
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            i += Character.charCount(codePoint);
            if (codePoint == quote) {
                literal.append('\\').append(quote);
                continue;
            }
            switch (codePoint) {
                case '\\' -> literal.append("\\\\");
                case '\n' -> literal.append("\\n");
                case '\r' -> literal.append("\\r");
                case '\t' -> literal.append("\\t");
                default -> appendCodePoint(literal, codePoint);
            }
        }
        return literal.append(quote).toString();
    }

    private static void appendCodePoint(StringBuilder literal, int codePoint) {
        if (codePoint >= 0x20 && codePoint < 0x7f) {
            literal.append((char) codePoint);
            return;
        }
        if (Character.getType(codePoint) == Character.SURROGATE) {
            throw new IllegalArgumentException(String.format(
                    "unpaired surrogate U+%04X; expected valid Unicode text", codePoint));
        }
        if (codePoint <= 0xff) {
            literal.append(String.format("\\x%02x", codePoint));
        } else if (codePoint <= 0xffff) {
            literal.append(String.format("\\u%04x", codePoint));
        } else {
            literal.append(String.format("\\U%08x", codePoint));
        }
    }

    /**
     * Source text {@code prefix + literal + suffix} for a string value, laid out as ruff format lays
     * it out within {@link #LINE_LENGTH}: on one line when it fits; else the literal alone in
     * parentheses on the next line; else, when even that is too long, split into implicitly
     * concatenated literals, one per line. Lines after the first are indented by {@code indent + 4}
     * (the parenthesized part) and {@code indent} (the closing parenthesis).
     *
     * <pre>{@code
     * stringValue("EXPERIMENT_NAME = ", "digits", "", 0)   // EXPERIMENT_NAME = "digits"
     * }</pre>
     *
     * @param prefix the line up to the value, its indentation included
     * @param suffix what follows the value on its line ({@code ","} in a dict), may be empty
     * @param indent the indentation of the prefix, in spaces
     */
    public static String stringValue(String prefix, String text, String suffix, int indent) {
        String literal = string(text);
        if (prefix.length() + literal.length() + suffix.length() <= LINE_LENGTH) {
            return prefix + literal + suffix;
        }
        String inner = " ".repeat(indent + 4);
        List<String> parts = new ArrayList<>();
        if (inner.length() + literal.length() <= LINE_LENGTH) {
            parts.add(literal);
        } else {
            int room = LINE_LENGTH - inner.length() - 2;
            char quote = literal.charAt(0);
            StringBuilder part = new StringBuilder();
            for (int i = 0; i < text.length(); ) {
                int codePoint = text.codePointAt(i);
                i += Character.charCount(codePoint);
                String escaped = string(new String(Character.toChars(codePoint)), quote);
                escaped = escaped.substring(1, escaped.length() - 1);
                if (part.length() + escaped.length() > room) {
                    parts.add(quote + part.toString() + quote);
                    part.setLength(0);
                }
                part.append(escaped);
            }
            parts.add(quote + part.toString() + quote);
        }
        StringBuilder source = new StringBuilder(prefix).append("(\n");
        parts.forEach(line -> source.append(inner).append(line).append('\n'));
        return source.append(" ".repeat(indent)).append(')').append(suffix).toString();
    }

    /** A list of integers as a Python list literal: {@code [64, 32]}. */
    public static String intList(List<Integer> values) {
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
