package de.monticore.mlpipelines.generator;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PythonLiterals} checked against Python itself: literals parse back to the same text. */
class PythonStringEscapingTest {
    private static final List<String> TEXTS = List.of(
            "", "plain", "it's", "say \"hi\"", "\"\"\"", "'''", "\\", "ends\\", "\\n is not a newline",
            "new\nline", "cr\rlf\r\n", "tab\t", "nul\u0000", "bell\u0007 esc\u001b del\u007f", "\u0085next line",
            "line\u2028sep\u2029para", "nbsp\u00a0 zero\u200bwidth \ufeffbom", "private\ue000", "unassigned\u0378",
            "Ümlaut für Ziffern", "数字", "emoji 🔢 astral \uD83D\uDE00", "{braces} %(percent)s ${dollar}",
            "# not a comment", "\"); import os; os.system(\"id\"); (\"");

    @TempDir
    Path temp;

    @Test
    void everyLiteralEvaluatesToTheOriginalTextInPython() throws Exception {
        StringBuilder module = new StringBuilder("import ast, json, sys\nvalues = [\n");
        List<String> literals = new ArrayList<>();
        for (String text : TEXTS) {
            String literal = PythonLiterals.string(text);
            literals.add(literal);
            assertFalse(literal.contains("\n") || literal.contains("\r"), "one line: " + literal);
            module.append("    ").append(literal).append(",\n");
        }
        module.append("]\n");
        module.append("sources = ").append(new ObjectMapper().writeValueAsString(literals)).append("\n");
        module.append("assert all(ast.literal_eval(s) == v for s, v in zip(sources, values))\n");
        module.append("sys.stdout.buffer.write(json.dumps(values, ensure_ascii=True).encode())\n");
        Path file = Files.writeString(temp.resolve("literals.py"), module, StandardCharsets.UTF_8);

        PythonRun run = PythonRun.run(temp, Map.of(), file.toString());
        assertEquals(0, run.exitCode(), run.describe());
        List<?> values = new ObjectMapper().readValue(run.stdout(), List.class);
        assertEquals(TEXTS, values);
    }

    @Test
    void floatsAreFormattedLikePythonsRepr() throws Exception {
        double[] values = {0.1, 0.5, 1.0, 100.0, 0.001, 1e-4, 1e-5, 1.5e-5, 0.25, 3e-10, 123456789.0, 1e15, 1e16,
                1.5e16, 2.5e-7, 1.0 / 3, 6.02214076e23, -0.0, 0.0, -2.5, Double.MIN_VALUE, Double.MAX_VALUE,
                Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        StringBuilder script = new StringBuilder("import json, struct\nbits = [");
        List<String> ours = new ArrayList<>();
        for (double value : values) {
            script.append(Double.doubleToRawLongBits(value)).append(", ");
            ours.add(PythonLiterals.floatRepr(value));
        }
        script.append("]\nprint(json.dumps([repr(struct.unpack('<d', struct.pack('<q', b))[0]) for b in bits]))\n");
        Path file = Files.writeString(temp.resolve("floats.py"), script);
        PythonRun run = PythonRun.run(temp, Map.of(), file.toString());
        assertEquals(0, run.exitCode(), run.describe());
        assertEquals(new ObjectMapper().readValue(run.stdout(), List.class), ours);
    }

    @Test
    void unpairedSurrogatesAreRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> PythonLiterals.string("a\uD800b"));
        assertEquals("unpaired surrogate U+D800; expected valid Unicode text", error.getMessage());
    }

    @Test
    void identifiersAreChecked() {
        assertTrue(PythonLiterals.isIdentifier("batch_size"));
        assertTrue(PythonLiterals.isIdentifier("_private2"));
        for (String bad : List.of("", "2fast", "batch-size", "a b", "lambda", "None", "import", "ü", "x;y", "match")) {
            assertFalse(PythonLiterals.isIdentifier(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> PythonLiterals.identifier(bad), bad);
        }
        assertEquals("'2fast' is not a Python identifier; expected ASCII letters, digits and underscores, "
                + "not starting with a digit", assertThrows(IllegalArgumentException.class,
                () -> PythonLiterals.identifier("2fast")).getMessage());
        assertEquals("'class' is a Python keyword; expected another name",
                assertThrows(IllegalArgumentException.class, () -> PythonLiterals.identifier("class")).getMessage());
        assertEquals("[64, 32]", PythonLiterals.intList(List.of(64, 32)));
    }
}
