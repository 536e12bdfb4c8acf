package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mlpipelines generate} and {@code run}: arguments, bad input, exit codes. */
class ExperimentCommandsTest {
    @TempDir
    Path temp;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int main(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path experiment(String epochs) throws IOException {
        return Files.writeString(temp.resolve("exp.yaml"), """
                name: cli
                model: {type: softmax_regression}
                dataset: digits
                training: {epochs: %s, batch_size: 32, learning_rate: 0.1, seed: 1}
                """.formatted(epochs));
    }

    @Test
    void bothCommandsAreListedInTheUsage() {
        assertEquals(0, main("--help"));
        String usage = out.toString(StandardCharsets.UTF_8);
        assertTrue(usage.contains("mlpipelines run EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR]"), usage);
        assertTrue(usage.contains("mlpipelines generate EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR]"), usage);
    }

    @Test
    void badUsageExitsTwoWithTheUsage() throws IOException {
        assertEquals(2, main("generate"));
        assertTrue(err().startsWith("mlpipelines generate: expected the experiment file\nusage: mlpipelines generate"),
                err());
        err.reset();
        assertEquals(2, main("run", experiment("1").toString(), "--epochs", "3"));
        assertTrue(err().startsWith("mlpipelines run: unknown option '--epochs'; expected --tracking or --out"), err());
        err.reset();
        assertEquals(2, main("run", experiment("1").toString(), "--out"));
        assertTrue(err().startsWith("mlpipelines run: --out needs a value"), err());
        err.reset();
        assertEquals(2, main("generate", "a.yaml", "b.yaml"));
        assertTrue(err().startsWith("mlpipelines generate: unexpected argument 'b.yaml'; expected one experiment file"),
                err());
    }

    @Test
    void badExperimentOrTrackingFilesExitTwoNamingFileAndKeyAndStartNothing() throws IOException {
        Path out = temp.resolve("out");
        assertEquals(2, main("run", experiment("many").toString(), "--out", out.toString()));
        assertEquals("mlpipelines: " + temp.resolve("exp.yaml") + ": training.epochs: 'many' is not a whole number; "
                + "expected an integer from 1 to 100000\n", err());
        assertFalse(Files.exists(out));
        err.reset();
        Path tracking = Files.writeString(temp.resolve("tracking.yaml"), "backends: {stdout: {colour: red}}\n");
        assertEquals(2, main("generate", experiment("1").toString(), "--tracking=" + tracking, "--out", out.toString()));
        assertTrue(err().startsWith("mlpipelines: " + tracking + ": backends.stdout.colour: unknown key"), err());
        assertFalse(Files.exists(out));
        err.reset();
        assertEquals(2, main("generate", temp.resolve("missing.yaml").toString()));
        assertEquals("mlpipelines: " + temp.resolve("missing.yaml") + ": no such file\n", err());
    }

    @Test
    void generateWritesTheScriptWithThePackedRuntimeOrSaysItIsMissing() throws IOException {
        Path out = temp.resolve("out");
        boolean runtimePacked = getClass().getClassLoader().getResource(PythonRuntime.RESOURCE_DIRECTORY + "/__init__.py") != null;
        int exit = main("generate", experiment("2").toString(), "--out", out.toString());
        if (runtimePacked) {
            assertEquals(0, exit, err());
            assertTrue(Files.isRegularFile(out.resolve("cli/train.py")));
            assertTrue(Files.isRegularFile(out.resolve("cli/mlpipelines/tracking/__init__.py")));
            assertTrue(this.out.toString(StandardCharsets.UTF_8).contains("wrote " + out.resolve("cli/train.py")));
        } else {
            assertEquals(2, exit);
            assertTrue(err().contains("the Python runtime packed with the generator has no __init__.py"), err());
            assertFalse(Files.exists(out.resolve("cli")));
        }
    }
}
