package de.monticore.mlpipelines.tracking.backend.handoff;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.comet.CometConfig;
import de.monticore.mlpipelines.tracking.backend.comet.CometTracker;
import de.monticore.mlpipelines.tracking.backend.dvclive.DvcLiveConfig;
import de.monticore.mlpipelines.tracking.backend.dvclive.DvcLiveTracker;
import de.monticore.mlpipelines.tracking.backend.wandb.WandbConfig;
import de.monticore.mlpipelines.tracking.backend.wandb.WandbTracker;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;
import de.monticore.mlpipelines.tracking.rundir.YamlStore;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandoffTrackerTest {
    @TempDir
    Path directory;

    private static ConfigSection section(String backend, Map<String, Object> values) {
        return new ConfigSection("tracking.yaml", "backends." + backend, values, name -> null);
    }

    @Test
    void aRunHandsItsIdentityParamsTagsMetricsAndArtifactsOverThroughItsDirectory() throws IOException {
        WandbConfig config = WandbConfig.fromSection(section("wandb", Map.of("dir", directory.toString(),
                "project", "digits")));
        Path artifact = Files.writeString(directory.resolve("notes.txt"), "notes");
        try (WandbTracker tracker = new WandbTracker(config, Map.of())) {
            tracker.startNewRun();
            tracker.logParams(Map.of("lr", "0.1"));
            tracker.logTag("team", "vision");
            tracker.logMetric("loss", 0.5, 1700000000123L, 3);
            tracker.logArtifact(artifact.toFile(), "docs");
            Map<String, String> params = tracker.getPythonParams();
            Path run = directory.resolve("run_1");
            assertEquals("run_1", params.get("wandb_run_name"));
            assertEquals("offline", params.get("wandb_mode"));
            assertEquals("digits", params.get("wandb_project"));
            assertTrue(params.get("wandb_run_id").matches("[a-z0-9]{8}"), params.get("wandb_run_id"));
            assertEquals(Map.of("lr", "0.1"), YamlStore.readStringMap(run.resolve("params.yaml")));
            assertEquals(Map.of("team", "vision"), YamlStore.readStringMap(run.resolve("tags.yaml")));
            assertEquals("step,timestamp,key,value\n3,1700000000123,loss,0.5\n",
                    Files.readString(run.resolve("java-metrics.csv")));
            assertEquals("notes", Files.readString(run.resolve("artifacts/docs/notes.txt")));
            Map<String, String> runFile = YamlStore.readStringMap(run.resolve("run.yaml"));
            assertEquals("RUNNING", runFile.get("status"));
            assertEquals(params.get("wandb_run_id"), runFile.get("run_id"));

            tracker.endRun(RunStatus.FAILED);
            assertEquals("FAILED", YamlStore.readStringMap(run.resolve("run.yaml")).get("status"));
            assertFalse(tracker.getPythonParams().containsKey("wandb_run_name"));
            // Before the Python half wrote location.yaml, the summary names the run from its identity.
            assertEquals("offline run " + params.get("wandb_run_id") + " of project digits",
                    tracker.getRunLocations().get(WandbTracker.RUN_LABEL));
            YamlStore.write(run.resolve("location.yaml"), Map.of("run", "offline run x", "files", "/f",
                    "sync", "wandb sync /f"));
            assertEquals(Map.of(WandbTracker.RUN_LABEL, "offline run x", WandbTracker.FILES_LABEL, "/f",
                    WandbTracker.SYNC_LABEL, "wandb sync /f"), tracker.getRunLocations());
        }
    }

    @Test
    void theModeIsOnlineExactlyWhenTheCredentialIsInTheEnvironment() {
        CometConfig config = CometConfig.fromSection(section("comet", Map.of("dir", directory.toString())));
        try (CometTracker online = new CometTracker(config, Map.of("COMET_API_KEY", "k"))) {
            online.startNewRun();
            assertEquals("online", online.getPythonParams().get("comet_mode"));
            assertTrue(online.getPythonParams().get("comet_run_id").matches("[0-9a-f]{32}"));
        }
        try (CometTracker offline = new CometTracker(config, Map.of("COMET_API_KEY", " "))) {
            offline.startNewRun();
            assertEquals("offline", offline.getPythonParams().get("comet_mode"));
        }
        DvcLiveConfig forcedOnline = DvcLiveConfig.fromSection(section("dvclive", Map.of("dir",
                directory.toString(), "mode", "ONLINE")));
        TrackingException error = assertThrows(TrackingException.class,
                () -> new DvcLiveTracker(forcedOnline, Map.of()).startNewRun());
        assertEquals("DVCLIVE: mode online needs DVC_STUDIO_TOKEN in the environment (credentials are taken from "
                + "the environment only)", error.getMessage());
        assertFalse(Files.exists(directory.resolve("run_3")), "no run directory is claimed for a run that cannot start");
    }

    @Test
    void badSettingsNameTheKeyAndWhatWasExpected() {
        TrackingConfigException mode = assertThrows(TrackingConfigException.class,
                () -> WandbConfig.fromSection(section("wandb", Map.of("mode", "sometimes"))));
        assertEquals("tracking.yaml: backends.wandb.mode: 'sometimes' is not a mode; expected one of auto, offline, "
                + "online", mode.getMessage());
        TrackingConfigException project = assertThrows(TrackingConfigException.class,
                () -> CometConfig.fromSection(section("comet", Map.of("project", "a/b"))));
        assertEquals("tracking.yaml: backends.comet.project: 'a/b' contains '/'; a project name may not contain "
                + "/ \\ # ? % :", project.getMessage());
    }
}
