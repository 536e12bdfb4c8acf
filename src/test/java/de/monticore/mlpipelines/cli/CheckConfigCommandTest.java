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
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckConfigCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path tempDir;

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void listsTheEnabledBackendsOfTheExample() {
        assertEquals(0, run("check-config", "examples/tracking.yaml"));
        String output = out();
        assertTrue(output.startsWith("examples/tracking.yaml: OK, 4 backends enabled\n"), output);
        for (String expected : new String[]{"  STDOUT\n    experiment_name: digits\n",
                "  MLFLOW\n    experiment_name: digits\n    tracking_uri: sqlite:///mlflow.db\n    clean_up: [FAILED, KILLED]\n",
                "  CSV\n    dir: runs/csv\n", "  TENSORBOARD\n    log_dir: runs/tb\n",
                "  param_blacklist: [_.*, .*password.*]\n", "  tags: team=vision\n"}) {
            assertTrue(output.contains(expected), expected + " in " + output);
        }
        assertEquals("", err());
    }

    @Test
    void masksSecretsAndWarnsAboutLiteralOnes() throws Exception {
        Path file = Files.writeString(tempDir.resolve("tracking.yaml"),
                "backends:\n  mlflow:\n    tracking_uri: https://mlflow.example.org\n"
                        + "tags:\n  api_token: tok-123\n");
        assertEquals(0, run("check-config", file.toString()));
        assertFalse(out().contains("tok-123"), out());
        assertTrue(out().contains("api_token=********"), out());
        assertEquals("warning: " + file + ": tags.api_token: holds a literal secret; reference an environment "
                + "variable instead, e.g. ${API_TOKEN}\n", err());
    }

    @Test
    void aTrackingUriWithCredentialsIsRefusedWithoutQuotingThem() throws Exception {
        Path file = Files.writeString(tempDir.resolve("tracking.yaml"),
                "backends:\n  mlflow:\n    tracking_uri: https://ana:hunter2@mlflow.example.org\n");
        assertEquals(2, run("check-config", file.toString()));
        assertEquals("mlpipelines: " + file + ": backends.mlflow.tracking_uri: holds credentials (USER:PASSWORD@); "
                + "remove them and set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, "
                + "in the environment\n", err());
        assertEquals("", out());
    }

    @Test
    void badInputExitsTwoWithOneMessage() throws Exception {
        Path file = Files.writeString(tempDir.resolve("tracking.yaml"), "backends:\n  mlflow:\n    clean_up: [DONE]\n");
        assertEquals(2, run("check-config", file.toString()));
        assertEquals("mlpipelines: " + file + ": backends.mlflow.clean_up[0]: 'DONE' is not a run status; "
                + "expected one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED\n", err());
        assertEquals("", out());
    }

    @Test
    void aFileWithoutBackendsSaysTrackingIsOff() throws Exception {
        for (String yaml : new String[]{"backends: {}\n", "tags: {team: vision}\n"}) {
            out.reset();
            Path file = Files.writeString(tempDir.resolve("tracking.yaml"), yaml);
            assertEquals(0, run("check-config", file.toString()), err());
            assertTrue(out().startsWith(file + ": OK, 0 backends enabled\n"
                    + "  tracking is off: no backend is enabled; `run` trains without recording anything\n"), out());
        }
        out.reset();
        assertEquals(0, run("check-config", "examples/tracking.yaml"));
        assertFalse(out().contains("tracking is off"), out());
    }

    @Test
    void theMlflowSpoolDirIsListedAndValidatedLikeAPath() throws Exception {
        Path file = Files.writeString(tempDir.resolve("tracking.yaml"),
                "backends:\n  mlflow:\n    tracking_uri: http://127.0.0.1:1\n    spool_dir: spool/here\n");
        assertEquals(0, run("check-config", file.toString()), err());
        assertTrue(out().contains("    spool_dir: spool/here\n"), out());

        Path empty = Files.writeString(tempDir.resolve("empty.yaml"),
                "backends:\n  mlflow:\n    spool_dir: \"  \"\n");
        assertEquals(2, run("check-config", empty.toString()));
        assertTrue(err().contains(empty + ": backends.mlflow.spool_dir: is empty; expected a directory path"), err());
    }

    @Test
    void badUsageExitsTwoWithTheUsage() {
        assertEquals(2, run("check-config"));
        assertEquals("mlpipelines check-config: expected exactly one argument, the tracking file\n"
                + "usage: mlpipelines check-config TRACKING.yaml\n", err());
    }

    @Test
    void anUnknownCommandExitsTwoAndListsTheCommands() {
        assertEquals(2, run("chek-config", "x.yaml"));
        assertTrue(err().startsWith("mlpipelines: unknown command 'chek-config'; expected one of "), err());
        assertTrue(err().contains("check-config"), err());
    }

    @Test
    void helpListsTheCommands() {
        assertEquals(0, run("--help"));
        assertTrue(out().contains("mlpipelines check-config TRACKING.yaml"), out());
    }
}
