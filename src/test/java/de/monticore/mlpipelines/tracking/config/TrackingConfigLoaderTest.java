package de.monticore.mlpipelines.tracking.config;

import de.monticore.mlpipelines.tracking.backend.csv.CsvConfig;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowConfig;
import de.monticore.mlpipelines.tracking.backend.stdout.StdOutConfig;
import de.monticore.mlpipelines.tracking.backend.tensorboard.TensorBoardConfig;
import de.monticore.mlpipelines.tracking.TrackingBackends;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrackingConfigLoaderTest {
    private static final Map<String, String> ENVIRONMENT = Map.of("MLFLOW_URI", "http://127.0.0.1:5000",
            "TEAM", "vision");

    private final TrackingConfigLoader loader = new TrackingConfigLoader(TrackingBackends.discover(), ENVIRONMENT::get);

    @TempDir
    Path tempDir;

    private TrackingConfig parse(String yaml) {
        return loader.parse(yaml, "tracking.yaml");
    }

    private TrackingConfigException rejected(String yaml) {
        return assertThrows(TrackingConfigException.class, () -> parse(yaml));
    }

    @Test
    void readsEveryBuiltInBackendInFileOrder() throws Exception {
        TrackingConfig config = loader.load(Path.of("examples/tracking.yaml"));
        assertEquals(List.of("STDOUT", "MLFLOW", "CSV", "TENSORBOARD"),
                config.backends().stream().map(ConfiguredBackend::name).toList());
        MLflowConfig mlflow = (MLflowConfig) config.backends().get(1).config();
        assertEquals("digits", mlflow.experimentName());
        assertEquals("sqlite:///mlflow.db", mlflow.trackingUri());
        assertEquals(Set.of(RunStatus.FAILED, RunStatus.KILLED), mlflow.cleanUp());
        assertEquals(Path.of("runs/csv"), ((CsvConfig) config.backends().get(2).config()).dir());
        assertEquals(Path.of("runs/tb"), ((TensorBoardConfig) config.backends().get(3).config()).logDir());
        assertEquals(List.of("_.*", ".*password.*"), config.paramBlacklist().stream().map(p -> p.pattern()).toList());
        assertEquals(Map.of("team", "vision"), config.tags());
        assertTrue(config.warnings().isEmpty());
    }

    @Test
    void backendNamesAreCaseInsensitiveAndSectionsMayBeEmpty() {
        TrackingConfig config = parse("backends:\n  StdOut:\n  CSV: {}\n");
        assertEquals(List.of("STDOUT", "CSV"), config.backends().stream().map(ConfiguredBackend::name).toList());
        assertEquals("default", ((StdOutConfig) config.backends().get(0).config()).experimentName());
        assertEquals(Path.of("runs/csv"), ((CsvConfig) config.backends().get(1).config()).dir());
    }

    @Test
    void resolvesEnvironmentReferences() {
        TrackingConfig config = parse("backends:\n  mlflow:\n    tracking_uri: ${MLFLOW_URI}\n"
                + "tags:\n  team: team-${TEAM}\n");
        assertEquals("http://127.0.0.1:5000", ((MLflowConfig) config.backends().get(0).config()).trackingUri());
        assertEquals(Map.of("team", "team-vision"), config.tags());
    }

    @Test
    void aNumberWhereTextBelongsIsRefusedButTagValuesKeepNumbersAsWritten() {
        assertEquals("tracking.yaml: backends.stdout.experiment_name: expected a string, got a number (2024); "
                + "quote it ('2024') if the text is meant",
                rejected("backends:\n  stdout:\n    experiment_name: 2024\n").getMessage());
        TrackingConfig config = parse("backends:\n  stdout:\n    experiment_name: '2024'\n"
                + "tags:\n  reviewed: true\n  version: 1.5\n");
        assertEquals("2024", ((StdOutConfig) config.backends().get(0).config()).experimentName());
        assertEquals(Map.of("reviewed", "true", "version", "1.5"), config.tags());
    }

    @Test
    void readsTheStdoutPrintingIntervalAndTheCsvLayout() {
        TrackingConfig config = parse("backends:\n  stdout:\n    every_n_steps: 50\n  csv:\n    layout: wide\n");
        assertEquals(50, ((StdOutConfig) config.backends().get(0).config()).everyNSteps());
        assertEquals("wide", ((CsvConfig) config.backends().get(1).config()).layout());
        TrackingConfig defaults = parse("backends:\n  stdout:\n  csv:\n");
        assertEquals(0, ((StdOutConfig) defaults.backends().get(0).config()).everyNSteps());
        assertEquals("long", ((CsvConfig) defaults.backends().get(1).config()).layout());
    }

    @Test
    void rejectsABadPrintingIntervalOrLayoutNamingTheKeyAndWhatWasExpected() {
        assertEquals("tracking.yaml: backends.stdout.every_n_steps: expected a whole number of at least 0, "
                + "got a number (-1)",
                rejected("backends:\n  stdout:\n    every_n_steps: -1\n").getMessage());
        assertEquals("tracking.yaml: backends.stdout.every_n_steps: expected a whole number of at least 0, "
                + "got 'often'", rejected("backends:\n  stdout:\n    every_n_steps: often\n").getMessage());
        assertEquals("tracking.yaml: backends.stdout.every_n_steps: expected a whole number of at least 0, "
                + "got a number (2.5)", rejected("backends:\n  stdout:\n    every_n_steps: 2.5\n").getMessage());
        assertEquals("tracking.yaml: backends.csv.layout: 'tall' is not valid; expected one of long, wide",
                rejected("backends:\n  csv:\n    layout: tall\n").getMessage());
    }

    @Test
    void warnsAboutALiteralSecretButNotAboutAReference() {
        TrackingConfig config = parse("backends:\n  stdout:\ntags:\n  api_token: abc123\n  db_password: ${TEAM}\n");
        assertEquals(List.of("tracking.yaml: tags.api_token: holds a literal secret; reference an environment "
                + "variable instead, e.g. ${API_TOKEN}"), config.warnings());
    }

    @Test
    void rejectsAnEmptyFile() {
        assertEquals("tracking.yaml: is empty; expected a mapping", rejected("").getMessage());
        assertEquals("tracking.yaml: is empty; expected a mapping", rejected("# only a comment\n").getMessage());
    }

    @Test
    void rejectsMalformedYamlWithLineAndColumn() {
        TrackingConfigException error = rejected("backends:\n  stdout:\n    experiment_name: [digits\n");
        assertTrue(error.getMessage().startsWith("tracking.yaml: malformed YAML: line 4, column 1: "),
                error.getMessage());
        TrackingConfigException tab = rejected("backends:\n\tstdout: {}\n");
        assertTrue(tab.getMessage().startsWith("tracking.yaml: malformed YAML: line 2, column 1: "), tab.getMessage());
    }

    @Test
    void rejectsDuplicateKeys() {
        TrackingConfigException error = rejected("backends:\n  stdout:\n  stdout:\n");
        assertTrue(error.getMessage().contains("duplicate key stdout"), error.getMessage());
    }

    @Test
    void rejectsATopLevelThatIsNotAMapping() {
        assertEquals("tracking.yaml: expected a mapping at the top level, got a list",
                rejected("- stdout\n- mlflow\n").getMessage());
        assertEquals("tracking.yaml: expected a mapping at the top level, got a string",
                rejected("stdout\n").getMessage());
    }

    @Test
    void rejectsAnUnknownTopLevelKey() {
        assertEquals("tracking.yaml: backend: unknown key; expected one of backends, param_blacklist, tags; "
                + "did you mean 'backends'?",
                rejected("backend:\n  stdout:\n").getMessage());
    }

    @Test
    void aConfigWithoutBackendsTurnsTrackingOff() {
        for (String yaml : List.of("backends: {}\n", "backends:\n", "tags: {a: b}\n",
                "param_blacklist: [seed]\n")) {
            TrackingConfig config = parse(yaml);
            assertEquals(List.of(), config.backends(), yaml);
            assertEquals(List.of(), config.warnings(), yaml);
        }
        TrackingConfig tagsOnly = parse("tags: {a: b}\nparam_blacklist: [seed]\n");
        assertEquals(Map.of("a", "b"), tagsOnly.tags());
        assertEquals(List.of("seed"), tagsOnly.paramBlacklist().stream().map(p -> p.pattern()).toList());
    }

    @Test
    void warnsAboutABlacklistPatternWrittenForMatchingAnywhere() {
        TrackingConfig config = parse("param_blacklist: ['^_', '^tmp_.*', '^seed$', 'optimizer.*', '.*password.*']\n");
        assertEquals(List.of("tracking.yaml: param_blacklist[0]: '^_' has to match the whole key, not just its "
                + "start; write '^_.*' to block keys by their start"), config.warnings());
    }

    @Test
    void rejectsAnUnknownBackendListingTheValidOnes() {
        TrackingConfigException error = rejected("backends:\n  stdout:\n  neptune:\n    project: x\n");
        assertEquals("tracking.yaml: backends.neptune: 'neptune' is not a tracking backend; expected one of "
                + String.join(", ", TrackingBackends.discover().names()), error.getMessage());
        assertEquals("backends.neptune", error.getKeyPath());
    }

    @Test
    void rejectsTheSameBackendTwice() {
        assertEquals("tracking.yaml: backends.STDOUT: backend STDOUT is configured twice",
                rejected("backends:\n  stdout:\n  STDOUT:\n").getMessage());
    }

    @Test
    void rejectsAnUnknownKeyInABackendSection() {
        assertEquals("tracking.yaml: backends.mlflow.trackinguri: unknown key; expected one of clean_up, "
                        + "experiment_name, server_idle_timeout, spool_dir, system_metrics, tracking_uri; did you mean 'tracking_uri'?",
                rejected("backends:\n  mlflow:\n    trackinguri: http://x\n").getMessage());
    }

    @Test
    void readsTheLocalServersIdleTimeoutInSecondsAndRejectsAnythingElse() {
        MLflowConfig config = (MLflowConfig) parse("backends:\n  mlflow:\n    server_idle_timeout: 90\n")
                .backends().get(0).config();
        assertEquals(java.time.Duration.ofSeconds(90), config.serverIdleTimeout());
        assertEquals(java.time.Duration.ofSeconds(90), config.serverSettings(
                de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer.Settings.DEFAULT)
                .effectiveIdleTimeout());
        MLflowConfig unset = (MLflowConfig) parse("backends:\n  mlflow:\n").backends().get(0).config();
        assertEquals(null, unset.serverIdleTimeout());
        assertEquals("tracking.yaml: backends.mlflow.server_idle_timeout: '-5' is not a number of seconds; expected "
                        + "a whole number >= 0 (0 stops the local server when the last pipeline ends)",
                rejected("backends:\n  mlflow:\n    server_idle_timeout: -5\n").getMessage());
        assertEquals("tracking.yaml: backends.mlflow.server_idle_timeout: '10m' is a string; expected "
                        + "a whole number of seconds >= 0 (0 stops the local server when the last pipeline ends)",
                rejected("backends:\n  mlflow:\n    server_idle_timeout: 10m\n").getMessage());
    }

    @Test
    void systemMetricsAreOffUnlessSwitchedOnAndReachThePythonHalfAsAnInterval() {
        MLflowConfig off = (MLflowConfig) parse("backends:\n  mlflow:\n").backends().get(0).config();
        assertEquals("0", off.pythonOptions().get("mlflow_system_metrics_interval"));
        MLflowConfig on = (MLflowConfig) parse("backends:\n  mlflow:\n    system_metrics: true\n").backends().get(0)
                .config();
        assertTrue(on.systemMetrics());
        assertEquals("10", on.pythonOptions().get("mlflow_system_metrics_interval"));
        assertEquals("tracking.yaml: backends.mlflow.system_metrics: 'yes please' is not a boolean; expected true or "
                + "false", rejected("backends:\n  mlflow:\n    system_metrics: yes please\n").getMessage());
    }

    @Test
    void rejectsAListWhereAStringBelongs() {
        assertEquals("tracking.yaml: backends.csv.dir: expected a string, got a list",
                rejected("backends:\n  csv:\n    dir: [a, b]\n").getMessage());
    }

    @Test
    void rejectsAStringWhereAListBelongs() {
        assertEquals("tracking.yaml: backends.mlflow.clean_up: expected a list of strings, got a string",
                rejected("backends:\n  mlflow:\n    clean_up: FAILED\n").getMessage());
    }

    @Test
    void rejectsABackendSectionThatIsNotAMapping() {
        assertEquals("tracking.yaml: backends.csv: expected a mapping, got a string",
                rejected("backends:\n  csv: runs/csv\n").getMessage());
    }

    @Test
    void rejectsAnInvalidRegexInTheBlacklist() {
        TrackingConfigException error = rejected("backends:\n  stdout:\nparam_blacklist: [\"^_\", \"[abc\"]\n");
        assertEquals("param_blacklist[1]", error.getKeyPath());
        assertEquals("tracking.yaml: param_blacklist[1]: '[abc' is not a valid regular expression: "
                + "Unclosed character class near index 3", error.getMessage());
    }

    @Test
    void rejectsAnInvalidRunStatusInCleanUp() {
        assertEquals("tracking.yaml: backends.mlflow.clean_up[1]: 'DONE' is not a run status; expected one of "
                        + "RUNNING, SCHEDULED, FINISHED, FAILED, KILLED",
                rejected("backends:\n  mlflow:\n    clean_up: [FAILED, DONE]\n").getMessage());
    }

    @Test
    void acceptsRunStatusesInAnyCase() {
        TrackingConfig config = parse("backends:\n  mlflow:\n    clean_up: [failed, Killed]\n");
        assertEquals(Set.of(RunStatus.FAILED, RunStatus.KILLED), ((MLflowConfig) config.backends().get(0).config()).cleanUp());
    }

    @Test
    void rejectsAMissingEnvironmentVariable() {
        assertEquals("tracking.yaml: backends.mlflow.tracking_uri: environment variable NOT_SET_ANYWHERE is not set "
                        + "(referenced as ${NOT_SET_ANYWHERE})",
                rejected("backends:\n  mlflow:\n    tracking_uri: ${NOT_SET_ANYWHERE}\n").getMessage());
    }

    @Test
    void rejectsAnEmptyValue() {
        assertEquals("tracking.yaml: backends.mlflow.tracking_uri: is empty; expected http(s)://HOST[:PORT][/PATH], "
                + "sqlite:///FILE, file:///DIR or a directory path", rejected("backends:\n  mlflow:\n    tracking_uri: ''\n").getMessage());
    }

    /** Set by the constructor of {@link Gadget}; stays false when the tag is rejected before construction. */
    static volatile boolean gadgetConstructed;

    /** A class a malicious tracking.yaml could name in a YAML tag. */
    public static class Gadget {
        public Gadget() {
            gadgetConstructed = true;
        }
    }

    @Test
    void rejectsTagsThatWouldConstructJavaObjectsWithoutConstructingThem() {
        gadgetConstructed = false;
        TrackingConfigException error = rejected("backends:\n  stdout: !!" + Gadget.class.getName() + " {}\n");
        assertFalse(gadgetConstructed);
        assertTrue(error.getMessage().startsWith("tracking.yaml: line 2, column 11: only plain mappings, lists "
                + "and scalars are allowed; could not determine a constructor for the tag"), error.getMessage());

        TrackingConfigException scriptEngine = rejected("backends: !!javax.script.ScriptEngineManager "
                + "[!!java.net.URLClassLoader [[!!java.net.URL [\"http://127.0.0.1:9/x.jar\"]]]]\n");
        assertTrue(scriptEngine.getMessage().contains("YAML tags that construct objects are rejected"),
                scriptEngine.getMessage());
    }

    @Test
    void rejectsAFileThatDoesNotExist() {
        Path missing = tempDir.resolve("missing.yaml");
        TrackingConfigException error = assertThrows(TrackingConfigException.class, () -> loader.load(missing));
        assertEquals(missing + ": no such file", error.getMessage());
    }

    @Test
    void rejectsADirectory() {
        TrackingConfigException error = assertThrows(TrackingConfigException.class, () -> loader.load(tempDir));
        assertEquals(tempDir + ": is a directory; expected a YAML file", error.getMessage());
    }

    @Test
    void rejectsAFileThatIsNotUtf8() throws Exception {
        Path file = tempDir.resolve("latin1.yaml");
        Files.write(file, new byte[]{'t', 'a', 'g', 's', ':', ' ', '{', 'a', ':', ' ', (byte) 0xE9, '}'});
        TrackingConfigException error = assertThrows(TrackingConfigException.class, () -> loader.load(file));
        assertEquals(file + ": is not UTF-8 text", error.getMessage());
    }
}
