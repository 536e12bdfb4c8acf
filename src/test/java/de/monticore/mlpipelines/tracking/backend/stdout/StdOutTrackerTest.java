package de.monticore.mlpipelines.tracking.backend.stdout;

import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StdOutTrackerTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final StdOutTracker tracker = new StdOutTracker(new StdOutConfig("digits"),
            new PrintStream(bytes, true, StandardCharsets.UTF_8));

    @TempDir
    Path tempDir;

    private String[] lines() {
        return bytes.toString(StandardCharsets.UTF_8).split("\n");
    }

    @Test
    void printsTheRunReadably() throws Exception {
        Path file = Files.writeString(tempDir.resolve("train.py"), "print()");
        tracker.startNewRun();
        tracker.logParam("learning_rate", "0.1");
        tracker.logTag("team", "vision");
        tracker.logMetric("loss", 0.25, 0L, 7);
        tracker.logArtifact(file.toFile(), "code");
        tracker.endRun(RunStatus.FINISHED);
        String[] lines = lines();
        assertTrue(lines[0].startsWith("[tracking] run of experiment 'digits' started at "), lines[0]);
        assertEquals("[tracking] param learning_rate = 0.1", lines[1]);
        assertEquals("[tracking] tag team = vision", lines[2]);
        assertEquals("[tracking] metric loss = 0.25 (step 7)", lines[3]);
        assertEquals("[tracking] artifact code/train.py", lines[4]);
        assertTrue(lines[5].matches("\\[tracking] run ended FINISHED after \\d+\\.\\d s"), lines[5]);
    }

    @Test
    void printsTheParamsAndTagsOfOneCallAsOneBlock() {
        Map<String, String> params = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 12; i++) {
            params.put("param_" + (char) ('a' + i), "value " + i);
        }
        params.put("db_password", "hunter2");
        tracker.logParams(params);
        tracker.logTags(Map.of("team", "vision", "stage", "dev"));
        String[] lines = lines();
        assertEquals(4, lines.length, String.join("\n", lines));
        assertTrue(lines[0].startsWith("[tracking] params: db_password = ********, param_a = value 0, "), lines[0]);
        assertTrue(lines[1].startsWith("[tracking]         param_"), lines[1]);
        assertTrue(lines[2].endsWith("param_l = value 11"), lines[2]);
        assertEquals("[tracking] tags: stage = dev, team = vision", lines[3]);
        for (String line : lines) {
            assertTrue(line.length() <= StdOutTracker.BLOCK_WIDTH + 40, line);
        }
    }

    @Test
    void masksParamsAndTagsThatLookSecret() {
        tracker.startNewRun();
        tracker.logParam("db_password", "hunter2");
        tracker.logParam("endpoint", "https://ana:hunter2@db.example.org/x");
        tracker.logTag("api_key", "k-123");
        tracker.logParam("openai", "sk-abcdefghijklmnopqrstuvwxyz");
        tracker.logParam("author", "ana");
        String output = bytes.toString(StandardCharsets.UTF_8);
        assertFalse(output.contains("hunter2"), output);
        assertFalse(output.contains("k-123"), output);
        assertFalse(output.contains("sk-abc"), output);
        assertTrue(output.contains("[tracking] param db_password = ********"), output);
        assertTrue(output.contains("[tracking] param author = ana"), output);
    }

    @Test
    void passesTheExperimentNameAndThePrintingIntervalToPython() {
        assertEquals(Map.of("stdout_experiment_name", "digits", "stdout_every_n_steps", "0"), tracker.getPythonParams());
        StdOutTracker everyTen = new StdOutTracker(new StdOutConfig("digits", 10));
        assertEquals("10", everyTen.getPythonParams().get("stdout_every_n_steps"));
    }
}
