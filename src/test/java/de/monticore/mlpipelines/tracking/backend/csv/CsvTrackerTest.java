package de.monticore.mlpipelines.tracking.backend.csv;

import com.fasterxml.jackson.databind.JsonNode;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.PythonReader;
import de.monticore.mlpipelines.tracking.rundir.YamlStore;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvTrackerTest {
    /** Reads a run directory with Python's csv and yaml modules, as the Python half and users do. */
    private static final String READ_RUN = String.join("\n",
            "import csv, json, os, sys, yaml",
            "run = sys.argv[1]",
            "def load(name):",
            "    path = os.path.join(run, name)",
            "    if not os.path.exists(path):",
            "        return None",
            "    with open(path, encoding='utf-8') as f:",
            "        return yaml.safe_load(f)",
            "with open(os.path.join(run, 'metrics.csv'), newline='', encoding='utf-8') as f:",
            "    rows = list(csv.reader(f))",
            "header, body = rows[0], rows[1:]",
            "metrics = [[int(r[0]), int(r[1]), r[2], repr(float(r[3]))] for r in body]",
            "print(json.dumps({'header': header, 'metrics': metrics, 'params': load('params.yaml'),",
            "                  'tags': load('tags.yaml'), 'run': load('run.yaml')}))");

    /** Values YAML would read as something else unless quoted, and text that needs care. */
    private static final List<String> TRICKY_VALUES = List.of("1.00", "yes", "no", "on", "null", "~", "true",
            "0x1F", "1:20", "1e5", ".inf", "2026-11-23", "=", "", " leading space", "# not a comment",
            "key: value", "multi\nline", "ünïcödé ✓", "'quoted'", "\"double\"", "- item", "[1, 2]", "{a: 1}");

    @TempDir
    Path temp;

    private CsvTracker newTracker() {
        return new CsvTracker(new CsvConfig(temp.resolve("csv")));
    }

    @Test
    void writesARunThatPythonReadsBack() throws Exception {
        CsvTracker tracker = newTracker();
        long before = System.currentTimeMillis();
        tracker.startNewRun();
        Path run = tracker.getRunDirectory();
        assertEquals(temp.resolve("csv/run_1"), run);

        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < TRICKY_VALUES.size(); i++) {
            params.put("p" + i, TRICKY_VALUES.get(i));
        }
        params.put("<<", "merge-key lookalike");
        params.put("lr", "0.01");
        tracker.logParams(params);
        tracker.logParam("epochs", "10");
        tracker.logTag("team", "vision");
        tracker.logTag("version", "1.0");
        tracker.logMetric("loss", 0.25, 1_700_000_000_123L, 0);
        tracker.logMetric("lr", 1e-5, 1_700_000_000_124L, 1);
        tracker.logMetric("a,b", Double.NaN, 1_700_000_000_125L, 2);
        tracker.logMetric("say \"hi\"", Double.POSITIVE_INFINITY, 1_700_000_000_126L, 3);
        tracker.logMetric("line\nbreak", Double.NEGATIVE_INFINITY, 1_700_000_000_127L, 4);
        tracker.logMetric("acc", 3.0, 1_700_000_000_128L, 5);
        tracker.endRun(RunStatus.FINISHED);
        long after = System.currentTimeMillis();

        JsonNode read = PythonReader.runJson(READ_RUN, run.toString());
        assertEquals("[\"step\",\"timestamp\",\"key\",\"value\"]", read.get("header").toString());
        assertEquals("[[0,1700000000123,\"loss\",\"0.25\"],[1,1700000000124,\"lr\",\"1e-05\"],"
                + "[2,1700000000125,\"a,b\",\"nan\"],[3,1700000000126,\"say \\\"hi\\\"\",\"inf\"],"
                + "[4,1700000000127,\"line\\nbreak\",\"-inf\"],[5,1700000000128,\"acc\",\"3.0\"]]",
                read.get("metrics").toString());

        JsonNode readParams = read.get("params");
        assertEquals(params.size() + 1, readParams.size());
        // Canonical numbers are stored typed (paramsKeepTheirTypesForPython); the look-alikes stay strings.
        assertTrue(readParams.get("lr").isDouble() && readParams.get("lr").asDouble() == 0.01, readParams::toString);
        assertTrue(readParams.get("epochs").isInt() && readParams.get("epochs").asInt() == 10, readParams::toString);
        params.remove("lr");
        params.forEach((key, value) -> {
            assertTrue(readParams.get(key).isTextual(), () -> key + " is not a string in Python: " + readParams.get(key));
            assertEquals(value, readParams.get(key).asText(), key);
        });
        assertEquals("{\"team\":\"vision\",\"version\":\"1.0\"}", read.get("tags").toString());

        JsonNode runInfo = read.get("run");
        assertEquals("run_1", runInfo.get("name").asText());
        assertEquals("FINISHED", runInfo.get("status").asText());
        long start = runInfo.get("start_time").asLong();
        long end = runInfo.get("end_time").asLong();
        assertTrue(runInfo.get("start_time").isIntegralNumber() && runInfo.get("end_time").isIntegralNumber());
        assertTrue(before <= start && start <= end && end <= after, runInfo.toString());
    }

    @Test
    void paramsKeepTheirTypesForPython() throws Exception {
        Map<String, String> logged = new LinkedHashMap<>();
        for (String text : List.of("0.1", "1e-05", "1e+16", "10", "-2", "123456789012345678901234567890", "-0.0",
                "nan", "inf", "-inf", "True", "False", "0.10", "1e5", "1E-05", "1e-5", "007", "+3", "-0", "true",
                "yes", "1.0d", "NaN", "Infinity", "adam")) {
            logged.put("p" + logged.size(), text);
        }
        CsvTracker tracker = newTracker();
        tracker.startNewRun();
        tracker.logParams(logged);
        Path run = tracker.getRunDirectory();
        tracker.endRun(RunStatus.FINISHED);

        JsonNode read = PythonReader.runJson(String.join("\n",
                "import json, os, sys, yaml",
                "with open(os.path.join(sys.argv[1], 'params.yaml'), encoding='utf-8') as f:",
                "    params = yaml.safe_load(f)",
                "print(json.dumps({k: [type(v).__name__, str(v)] for k, v in params.items()}))"), run.toString());
        List<String> types = new ArrayList<>();
        logged.forEach((key, text) -> {
            assertEquals(text, read.get(key).get(1).asText(), key + " does not read back as its text");
            types.add(read.get(key).get(0).asText());
        });
        assertEquals(List.of("float", "float", "float", "int", "int", "int", "float", "float", "float", "float",
                "bool", "bool", "str", "str", "str", "str", "str", "str", "str", "str", "str", "str", "str", "str",
                "str"), types);
        // The Java half reads its typed file back as the logged texts, e.g. when it merges more params.
        tracker.startNewRun();
        Files.copy(run.resolve("params.yaml"), tracker.getRunDirectory().resolve("params.yaml"));
        tracker.logParam("more", "1");
        assertEquals("1e-05", YamlStore.readStringMap(tracker.getRunDirectory().resolve("params.yaml")).get("p1"));
        tracker.endRun(RunStatus.FINISHED);
    }

    @Test
    void metricValuesAreWrittenAsPythonReprInOneLinePerValue() throws Exception {
        CsvTracker tracker = newTracker();
        tracker.startNewRun();
        Path metrics = tracker.getRunDirectory().resolve("metrics.csv");
        assertEquals("step,timestamp,key,value\n", Files.readString(metrics));
        tracker.logMetric("loss", 0.1, 5, 1);
        tracker.logMetric("loss", 1e16, 6, 2);
        tracker.logMetric("q\"k", -0.0, 7, 3);
        assertEquals("step,timestamp,key,value\n1,5,loss,0.1\n2,6,loss,1e+16\n3,7,\"q\"\"k\",-0.0\n",
                Files.readString(metrics));
    }

    @Test
    void mergesWithWhatThePythonHalfWrote() throws Exception {
        CsvTracker tracker = newTracker();
        tracker.startNewRun();
        Path run = tracker.getRunDirectory();
        tracker.logParam("from_java", "1");
        tracker.logMetric("java_metric", 0.5, 10, 0);
        PythonReader.run(String.join("\n",
                "import os, sys, yaml",
                "run = sys.argv[1]",
                "path = os.path.join(run, 'params.yaml')",
                "params = yaml.safe_load(open(path))",
                "params['from_python'] = 'yes'",
                "open(path, 'w').write(yaml.safe_dump(params))",
                "with open(os.path.join(run, 'metrics.csv'), 'a') as f:",
                "    f.write('1,11,python_metric,%r\\n' % 0.75)"), run.toString());
        tracker.logParam("from_java_again", "2");
        tracker.logMetric("java_metric", 0.125, 12, 2);
        tracker.endRun(RunStatus.FINISHED);

        JsonNode read = PythonReader.runJson(READ_RUN, run.toString());
        assertEquals("{\"from_java\":1,\"from_python\":\"yes\",\"from_java_again\":2}",
                read.get("params").toString());
        assertEquals("[[0,10,\"java_metric\",\"0.5\"],[1,11,\"python_metric\",\"0.75\"],"
                + "[2,12,\"java_metric\",\"0.125\"]]", read.get("metrics").toString());
    }

    @Test
    void copiesFilesAndDirectoriesIntoArtifacts() throws Exception {
        Path model = Files.writeString(temp.resolve("model.bin"), "weights");
        Path reports = Files.createDirectories(temp.resolve("reports/nested"));
        Files.writeString(reports.resolve("deep.txt"), "deep");
        Files.writeString(temp.resolve("reports/top.txt"), "top");
        CsvTracker tracker = newTracker();
        tracker.startNewRun();
        tracker.logArtifact(model.toFile(), null);
        tracker.logArtifact(model.toFile(), "models/best");
        tracker.logArtifact(temp.resolve("reports").toFile(), "");
        Path artifacts = tracker.getRunDirectory().resolve("artifacts");
        assertEquals("weights", Files.readString(artifacts.resolve("model.bin")));
        assertEquals("weights", Files.readString(artifacts.resolve("models/best/model.bin")));
        assertEquals("top", Files.readString(artifacts.resolve("reports/top.txt")));
        assertEquals("deep", Files.readString(artifacts.resolve("reports/nested/deep.txt")));
    }

    @Test
    void rejectsMissingArtifactsAndEscapingArtifactPaths() throws Exception {
        CsvTracker tracker = newTracker();
        tracker.startNewRun();
        File missing = temp.resolve("missing.txt").toFile();
        TrackingException error = assertThrows(TrackingException.class, () -> tracker.logArtifact(missing, null));
        assertEquals("artifact '" + missing + "' does not exist", error.getMessage());

        File present = Files.writeString(temp.resolve("present.txt"), "x").toFile();
        for (String escaping : List.of("../outside", "a/../../outside")) {
            IllegalArgumentException pathError = assertThrows(IllegalArgumentException.class,
                    () -> tracker.logArtifact(present, escaping));
            assertEquals("artifact path '" + escaping + "' contains '..'; expected a path inside the run's artifacts",
                    pathError.getMessage());
        }
        IllegalArgumentException absolute = assertThrows(IllegalArgumentException.class,
                () -> tracker.logArtifact(present, "/etc"));
        assertEquals("artifact path '/etc' is absolute; expected a path relative to the run's artifacts",
                absolute.getMessage());
        assertFalse(Files.exists(tracker.getRunDirectory().resolve("outside")));
    }

    @Test
    void exposesTheRunToPythonAndTheSummary() {
        CsvTracker tracker = newTracker();
        String dir = temp.resolve("csv").toAbsolutePath().toString();
        assertEquals(Map.of("csv_dir", dir, "csv_layout", "long"), tracker.getPythonParams());
        assertEquals(Map.of(), tracker.getRunLocations());
        tracker.startNewRun();
        assertEquals(Map.of("csv_dir", dir, "csv_layout", "long", "csv_run_name", "run_1"), tracker.getPythonParams());
        tracker.endRun(RunStatus.FAILED);
        assertEquals(Map.of("csv_dir", dir, "csv_layout", "long"), tracker.getPythonParams());
        assertEquals(Map.of("CSV", dir + "/run_1/metrics.csv"), tracker.getRunLocations());
    }

    @Test
    void theWideLayoutLeavesMetricsCsvToThePythonHalf() throws Exception {
        CsvTracker tracker = new CsvTracker(new CsvConfig(temp.resolve("csv"), "wide"));
        tracker.startNewRun();
        assertFalse(Files.exists(tracker.getRunDirectory().resolve("metrics.csv")));
        assertEquals("wide", tracker.getPythonParams().get("csv_layout"));
        TrackingException error = assertThrows(TrackingException.class, () -> tracker.logMetric("loss", 0.5, 1L, 1L));
        assertTrue(error.getMessage().startsWith("backends.csv.layout is wide: metrics.csv is written by the "
                + "training script"), error.getMessage());
        tracker.close();
    }

    @Test
    void closeAndASecondStartEndTheRunningRunAsKilled() throws Exception {
        CsvTracker tracker = newTracker();
        tracker.startNewRun();
        tracker.startNewRun();
        assertEquals(temp.resolve("csv/run_2"), tracker.getRunDirectory());
        tracker.close();
        tracker.close();
        assertNull(tracker.getRunDirectory());
        for (String run : List.of("run_1", "run_2")) {
            JsonNode info = PythonReader.runJson(READ_RUN, temp.resolve("csv").resolve(run).toString()).get("run");
            assertEquals("KILLED", info.get("status").asText(), run);
            assertTrue(info.get("end_time").isIntegralNumber(), run);
        }
    }

    @Test
    void aRunningRunHasStatusRunningAndNoEndTime() throws Exception {
        CsvTracker tracker = newTracker();
        tracker.startNewRun();
        JsonNode info = PythonReader.runJson(READ_RUN, tracker.getRunDirectory().toString()).get("run");
        assertEquals("RUNNING", info.get("status").asText());
        assertTrue(info.get("end_time").isNull());
        tracker.close();
    }

    @Test
    void loggingOutsideARunIsACallerBug() {
        CsvTracker tracker = newTracker();
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> tracker.logParam("a", "b"));
        assertEquals("CsvTracker.logParams: no running run; call startNewRun() first (and not after endRun())",
                error.getMessage());
        tracker.endRun(RunStatus.FINISHED);
        tracker.startNewRun();
        tracker.endRun(RunStatus.FINISHED);
        assertThrows(IllegalStateException.class, () -> tracker.logMetric("m", 1, 1, 1));
        assertThrows(IllegalStateException.class, () -> tracker.logTag("t", "v"));
        assertThrows(IllegalStateException.class, () -> tracker.logArtifact(temp.toFile(), null));
        assertThrows(IllegalArgumentException.class, () -> tracker.endRun(RunStatus.RUNNING));
    }

    @Test
    void rejectsADirectoryThatIsAFile() throws Exception {
        Path file = Files.writeString(temp.resolve("csv"), "not a directory");
        TrackingException error = assertThrows(TrackingException.class, () -> newTracker().startNewRun());
        assertEquals("backends.csv.dir: '" + file + "' is not a directory", error.getMessage());
    }

    @Test
    void reportsABrokenParamsFileByName() throws Exception {
        CsvTracker tracker = newTracker();
        tracker.startNewRun();
        Path paramsFile = tracker.getRunDirectory().resolve("params.yaml");
        Files.writeString(paramsFile, "- a list\n- not a mapping\n", StandardOpenOption.CREATE);
        TrackingException error = assertThrows(TrackingException.class, () -> tracker.logParam("a", "b"));
        assertEquals("'" + paramsFile + "' must hold a mapping of names to values, found a ArrayList",
                error.getMessage());
        tracker.close();
    }

    @Test
    void eightTrackersStartingAtOnceGetEightRuns() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Path>> runs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            CsvTracker tracker = newTracker();
            runs.add(pool.submit(() -> {
                start.await();
                tracker.startNewRun();
                tracker.logParam("thread", Thread.currentThread().getName());
                return tracker.getRunDirectory();
            }));
        }
        start.countDown();
        Set<Path> distinct = new HashSet<>();
        for (Future<Path> run : runs) {
            distinct.add(run.get());
        }
        pool.shutdown();
        assertEquals(8, distinct.size());
        for (Path run : distinct) {
            assertEquals(RunStatus.RUNNING.name() , readStatus(run), run.toString());
        }
    }

    private static String readStatus(Path run) throws Exception {
        String text = Files.readString(run.resolve("run.yaml"), StandardCharsets.UTF_8);
        return text.lines().filter(line -> line.startsWith("status: ")).findFirst().orElseThrow().substring(8);
    }
}
