package de.monticore.mlpipelines.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Bad usage and nothing-to-do cases of {@code ui}, {@code report} and {@code run --json}; nothing starts. */
class UiAndReportCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path tempDir;

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void uiRejectsAnUnknownOptionAndASecondFile() {
        assertEquals(2, run("ui", "--bogus"));
        assertEquals("mlpipelines ui: unknown option '--bogus'; expected --stop\nusage: mlpipelines ui [TRACKING.yaml] "
                + "[--stop]\n", err());
        err.reset();
        assertEquals(2, run("ui", "a.yaml", "b.yaml"));
        assertEquals("mlpipelines ui: expected at most one TRACKING.yaml, got 'a.yaml' and 'b.yaml'",
                err().lines().findFirst().orElseThrow());
    }

    @Test
    void uiWithNothingToShowSaysSoAndStartsNothing() throws Exception {
        Path tracking = Files.writeString(tempDir.resolve("tracking.yaml"), "backends:\n  stdout:\n");
        assertEquals(2, run("ui", tracking.toString()));
        assertEquals("mlpipelines ui: " + tracking + " enables neither MLFLOW nor TENSORBOARD; nothing to show\n",
                err());
    }

    @Test
    void uiStopWithoutARunningServerSaysSo() throws Exception {
        Path store = tempDir.resolve("mlflow.db");
        Path tracking = Files.writeString(tempDir.resolve("tracking.yaml"),
                "backends:\n  mlflow:\n    tracking_uri: sqlite:///" + store + "\n");
        assertEquals(0, run("ui", tracking.toString(), "--stop"));
        assertEquals("no local MLflow server runs for sqlite:///" + store + "\n", out.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(store), "nothing was started");
    }

    @Test
    void reportWithoutMlflowOrCsvAsksForADirectory() throws Exception {
        Path tracking = Files.writeString(tempDir.resolve("tracking.yaml"), "backends:\n  stdout:\n");
        assertEquals(2, run("report", tracking.toString()));
        assertEquals("mlpipelines report: " + tracking + " enables neither MLFLOW nor CSV; give --csv DIR\n", err());
        err.reset();
        assertEquals(2, run("report", "--out"));
        assertEquals("mlpipelines report: --out needs a value", err().lines().findFirst().orElseThrow());
    }

    @Test
    void runRefusesAJsonFileItCannotWriteBeforeAnythingRuns() {
        assertEquals(2, run("run", "examples/digits.yaml", "--json", tempDir.resolve("no/such/dir.json").toString()));
        assertEquals("mlpipelines run: --json " + tempDir.resolve("no/such/dir.json") + ": directory "
                + tempDir.resolve("no/such") + " does not exist", err().lines().findFirst().orElseThrow());
    }
}
