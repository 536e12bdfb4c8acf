package de.monticore.mlpipelines.tracking.backend.tensorboard;

import com.fasterxml.jackson.databind.JsonNode;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.PythonReader;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorBoardTrackerTest {
    /**
     * Loads a run directory (or one event file) with TensorBoard's own EventAccumulator, which
     * checks the record CRCs, and prints scalars and text summaries per tag.
     */
    private static final String READ_EVENTS = String.join("\n",
            "import json, sys",
            "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator",
            "acc = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'tensors': 0})",
            "acc.Reload()",
            "tags = acc.Tags()",
            "print(json.dumps({",
            "    'scalars': {t: [[e.step, repr(e.value)] for e in acc.Scalars(t)] for t in tags['scalars']},",
            "    'text': {t: [[e.step, [s.decode('utf-8') for s in e.tensor_proto.string_val],",
            "                  list(e.tensor_proto.tensor_shape.dim)] for e in acc.Tensors(t)]",
            "             for t in tags['tensors']},",
            "    'plugins': {t: acc.SummaryMetadata(t).plugin_data.plugin_name for t in tags['tensors']},",
            "}))");

    @TempDir
    Path temp;

    private TensorBoardTracker newTracker() {
        return new TensorBoardTracker(new TensorBoardConfig(temp.resolve("tb")));
    }

    @Test
    void writesParamsTagsAndScalarsThatTensorBoardReads() throws Exception {
        TensorBoardTracker tracker = newTracker();
        tracker.startNewRun();
        Path run = tracker.getRunDirectory();
        assertEquals(temp.resolve("tb/run_1"), run);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("optimizer", "adam");
        params.put("lr", "0.01");
        params.put("note", "a|b *bold* <i>\nsecond line");
        tracker.logParams(params);
        tracker.logParam("lr", "0.01");
        tracker.logParam("epochs", "10");
        tracker.logTag("team", "vision");
        tracker.logMetric("loss", 0.25, 1_700_000_000_000L, 0);
        tracker.logMetric("loss", 0.125, 1_700_000_001_000L, 10);
        tracker.logMetric("loss", Double.NaN, 1_700_000_002_000L, 20);
        tracker.logMetric("accuracy", Double.POSITIVE_INFINITY, 1_700_000_002_000L, 20);
        tracker.endRun(RunStatus.FINISHED);

        JsonNode read = PythonReader.runJson(READ_EVENTS, run.toString());
        assertEquals("{\"loss\":[[0,\"0.25\"],[10,\"0.125\"],[20,\"nan\"]],\"accuracy\":[[20,\"inf\"]]}",
                read.get("scalars").toString());
        assertEquals("{\"params\":\"text\",\"tags\":\"text\"}", read.get("plugins").toString());
        String firstParams = "| key | value |\n|---|---|\n"
                + "| lr | 0.01 |\n"
                + "| note | a\\|b \\*bold\\* \\<i\\><br>second line |\n"
                + "| optimizer | adam |\n";
        String secondParams = "| key | value |\n|---|---|\n"
                + "| epochs | 10 |\n"
                + "| lr | 0.01 |\n"
                + "| note | a\\|b \\*bold\\* \\<i\\><br>second line |\n"
                + "| optimizer | adam |\n";
        // Re-logging lr with the same value wrote nothing; epochs wrote revision 1.
        JsonNode text = read.get("text");
        assertEquals(2, text.get("params").size());
        assertEquals(0, text.get("params").get(0).get(0).asInt());
        assertEquals(firstParams, text.get("params").get(0).get(1).get(0).asText());
        assertEquals(1, text.get("params").get(1).get(0).asInt());
        assertEquals(secondParams, text.get("params").get(1).get(1).get(0).asText());
        assertEquals("[]", text.get("params").get(1).get(2).toString(), "a scalar string tensor");
        assertEquals("[[0,[\"| key | value |\\n|---|---|\\n| team | vision |\\n\"],[]]]", text.get("tags").toString());
    }

    @Test
    void theTextPluginRendersTheParamsTable() throws Exception {
        TensorBoardTracker tracker = newTracker();
        tracker.startNewRun();
        tracker.logParams(Map.of("lr", "0.01", "optimizer", "adam"));
        tracker.close();
        String html = PythonReader.run(String.join("\n",
                "import sys",
                "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator",
                "from tensorboard.plugins.text.text_plugin import text_array_to_html",
                "from tensorboard.util import tensor_util",
                "acc = EventAccumulator(sys.argv[1])",
                "acc.Reload()",
                "event = acc.Tensors('params')[-1]",
                "print(text_array_to_html(tensor_util.make_ndarray(event.tensor_proto), enable_markdown=True))"),
                tracker.getRunLocations().get("TensorBoard"));
        assertTrue(html.contains("<table>"), html);
        assertTrue(html.contains("<td>lr</td>") && html.contains("<td>0.01</td>")
                && html.contains("<td>optimizer</td>") && html.contains("<td>adam</td>"), html);
    }

    @Test
    void sharesTheRunDirectoryWithTensorboardX() throws Exception {
        TensorBoardTracker tracker = newTracker();
        tracker.startNewRun();
        tracker.logParam("lr", "0.5");
        Map<String, String> python = tracker.getPythonParams();
        Path run = Path.of(python.get("tensorboard_log_dir"), python.get("tensorboard_run_name"));
        PythonReader.run(String.join("\n",
                "import sys",
                "from tensorboardX import SummaryWriter",
                "with SummaryWriter(logdir=sys.argv[1]) as writer:",
                "    for step in range(3):",
                "        writer.add_scalar('train/loss', 1.0 / (step + 1), step)"), run.toString());
        tracker.endRun(RunStatus.FINISHED);

        JsonNode read = PythonReader.runJson(READ_EVENTS, run.toString());
        assertEquals("{\"train/loss\":[[0,\"1.0\"],[1,\"0.5\"],[2,\"0.3333333432674408\"]]}",
                read.get("scalars").toString());
        assertEquals("| key | value |\n|---|---|\n| lr | 0.5 |\n",
                read.get("text").get("params").get(0).get(1).get(0).asText());
        try (Stream<Path> files = Files.list(run)) {
            List<String> names = files.map(file -> file.getFileName().toString()).sorted().collect(Collectors.toList());
            assertEquals(2, names.size(), names.toString());
            assertTrue(names.stream().anyMatch(name -> name.matches(
                    "events\\.out\\.tfevents\\.\\d+\\.[A-Za-z0-9._-]+\\." + ProcessHandle.current().pid() + "\\.java")),
                    names.toString());
        }
    }

    @Test
    void copiesArtifactsIntoTheRunDirectory() throws Exception {
        Path model = Files.writeString(temp.resolve("model.bin"), "weights");
        TensorBoardTracker tracker = newTracker();
        tracker.startNewRun();
        tracker.logArtifact(model.toFile(), "models");
        assertEquals("weights", Files.readString(tracker.getRunDirectory().resolve("artifacts/models/model.bin")));
        File missing = temp.resolve("nope").toFile();
        TrackingException error = assertThrows(TrackingException.class, () -> tracker.logArtifact(missing, null));
        assertEquals("artifact '" + missing + "' does not exist", error.getMessage());
        tracker.close();
    }

    @Test
    void exposesTheRunToPythonAndTheSummary() {
        TensorBoardTracker tracker = newTracker();
        String logDir = temp.resolve("tb").toAbsolutePath().toString();
        assertEquals(Map.of("tensorboard_log_dir", logDir), tracker.getPythonParams());
        assertEquals(Map.of(), tracker.getRunLocations());
        tracker.startNewRun();
        assertEquals(Map.of("tensorboard_log_dir", logDir, "tensorboard_run_name", "run_1"), tracker.getPythonParams());
        tracker.startNewRun();
        assertEquals("run_2", tracker.getPythonParams().get("tensorboard_run_name"));
        tracker.endRun(RunStatus.KILLED);
        assertEquals(Map.of("tensorboard_log_dir", logDir), tracker.getPythonParams());
        assertEquals(Map.of("TensorBoard", logDir + "/run_2"), tracker.getRunLocations());
        assertNull(tracker.getRunDirectory());
        tracker.close();
    }

    @Test
    void loggingOutsideARunIsACallerBug() {
        TensorBoardTracker tracker = newTracker();
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> tracker.logTag("a", "b"));
        assertEquals("TensorBoardTracker.logTag: no running run; call startNewRun() first (and not after endRun())",
                error.getMessage());
        tracker.startNewRun();
        tracker.endRun(RunStatus.FAILED);
        assertThrows(IllegalStateException.class, () -> tracker.logParam("p", "v"));
        assertThrows(IllegalStateException.class, () -> tracker.logMetric("m", 1, 1, 1));
        assertThrows(IllegalStateException.class, () -> tracker.logArtifact(temp.toFile(), null));
        assertThrows(IllegalArgumentException.class, () -> tracker.endRun(RunStatus.SCHEDULED));
    }

    @Test
    void rejectsALogDirectoryThatIsAFile() throws Exception {
        Path file = Files.writeString(temp.resolve("tb"), "not a directory");
        TrackingException error = assertThrows(TrackingException.class, () -> newTracker().startNewRun());
        assertEquals("backends.tensorboard.log_dir: '" + file + "' is not a directory", error.getMessage());
    }

    @Test
    void eightTrackersStartingAtOnceGetEightRuns() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Path>> runs = new ArrayList<>();
        List<TensorBoardTracker> trackers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            TensorBoardTracker tracker = newTracker();
            trackers.add(tracker);
            runs.add(pool.submit(() -> {
                start.await();
                tracker.startNewRun();
                return tracker.getRunDirectory();
            }));
        }
        start.countDown();
        Set<Path> distinct = new HashSet<>();
        for (Future<Path> run : runs) {
            distinct.add(run.get());
        }
        pool.shutdown();
        trackers.forEach(TensorBoardTracker::close);
        assertEquals(8, distinct.size());
    }
}
