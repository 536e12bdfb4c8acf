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
            assertTrue(literal.chars().allMatch(c -> c >= 0x20 && c < 0x7f), "printable ASCII: " + literal);
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
    void longValuesAreLaidOutWithinTheLineLengthAndReadBackExactly() throws Exception {
        List<String> texts = List.of("short", "x".repeat(95), "y".repeat(118), "数字 \"q\" 🔢 ".repeat(40),
                "it's ".repeat(60));
        StringBuilder module = new StringBuilder("import json, sys\nvalues = {\n");
        for (int i = 0; i < texts.size(); i++) {
            String source = PythonLiterals.stringValue("    \"v" + i + "\": ", texts.get(i), ",", 4);
            for (String line : source.split("\n")) {
                assertTrue(line.length() <= PythonLiterals.LINE_LENGTH, line);
            }
            module.append(source).append('\n');
        }
        module.append("}\nsys.stdout.buffer.write(json.dumps([values[f'v{i}'] for i in range(len(values))]).encode())\n");
        assertEquals("EXPERIMENT_NAME = \"short\"", PythonLiterals.stringValue("EXPERIMENT_NAME = ", "short", "", 0));
        assertEquals("EXPERIMENT_NAME = (\n    \"" + "y".repeat(110) + "\"\n)",
                PythonLiterals.stringValue("EXPERIMENT_NAME = ", "y".repeat(110), "", 0),
                "alone in parentheses when that fits");
        Path file = Files.writeString(temp.resolve("layout.py"), module, StandardCharsets.UTF_8);
        PythonRun run = PythonRun.run(temp, Map.of(), file.toString());
        assertEquals(0, run.exitCode(), run.describe() + "\n" + module);
        assertEquals(texts, new ObjectMapper().readValue(run.stdout(), List.class));
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
