package de.monticore.mlpipelines.generator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tracking.yaml a script is generated with becomes its option defaults (issue 14): checked with
 * the real Python runtime packed into the jar, by parsing and by a run of the script on its own.
 */
class TrackingDefaultsTest {
    private static final String EXPERIMENT = """
            name: digits-defaults
            model: {type: softmax_regression}
            dataset: digits
            training: {epochs: 1, batch_size: 64, learning_rate: 0.5, seed: 3}
            """;
    private static final String PARSE = "import json, sys, train\n"
            + "args = vars(train.parse_args(sys.argv[1:]))\n"
            + "print(json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}))\n";

    @TempDir
    Path temp;

    private TrackingConfig tracking(String yaml) {
        return new TrackingConfigLoader().parse(yaml, "tracking.yaml");
    }

    private static ExperimentSpec experiment() {
        return new ExperimentLoader(name -> null).parse(EXPERIMENT, "experiment.yaml");
    }

    private static JsonNode parsedDefaults(Path directory, String... args) throws Exception {
        String[] command = Stream.concat(Stream.of("-c", PARSE), Stream.of(args)).toArray(String[]::new);
        PythonRun parse = PythonRun.run(directory, Map.of(), command);
        assertEquals(0, parse.exitCode(), parse.describe());
        return new ObjectMapper().readTree(parse.stdout());
    }

    @Test
    void pythonDefaultsMergeEveryEnabledBackendInConfigOrder() {
        TrackingConfig config = tracking("""
                backends:
                  csv: {dir: runs/../runs/csv}
                  stdout: {experiment_name: s}
                  mlflow: {experiment_name: e, tracking_uri: "http://127.0.0.1:5000"}
                  tensorboard: {log_dir: tb}
                """);
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals(Map.of(
                "tracking_backends", "CSV,STDOUT,MLFLOW,TENSORBOARD",
                "csv_dir", cwd.resolve("runs/csv").toString(),
                "csv_layout", "long",
                "stdout_experiment_name", "s",
                "stdout_every_n_steps", "0",
                "mlflow_experiment_name", "e",
                "mlflow_tracking_uri", "http://127.0.0.1:5000",
                "mlflow_spool_dir", cwd.resolve("mlflow-spool").toString(),
                "mlflow_system_metrics_interval", "0",
                "tensorboard_log_dir", cwd.resolve("tb").toString()), config.pythonDefaults());
        assertEquals(Map.of("tracking_backends", ""),
                new TrackingConfig("t.yaml", List.of(), List.of(), Map.of(), List.of()).pythonDefaults());
    }

    @Test
    void aScriptGeneratedWithCsvAndMlflowSettingsHasThemAsDefaults() throws Exception {
        Path csvDir = temp.resolve("my csv runs");
        TrackingConfig config = tracking("""
                backends:
                  stdout: {experiment_name: "it's \\"E\\""}
                  csv: {dir: %s}
                  mlflow: {experiment_name: "it's \\"E\\"", tracking_uri: "sqlite:///%s", spool_dir: "%s"}
                """.formatted(new ObjectMapper().writeValueAsString(csvDir.toString()), temp.resolve("store.db"),
                temp.resolve("spool/../my spool")));
        GeneratedExperiment generated = new TrainingScriptGenerator().generate(experiment(), config, temp.resolve("out"));

        JsonNode defaults = parsedDefaults(generated.directory());
        assertEquals(csvDir.toString(), defaults.get("csv_dir").asText());
        assertEquals("it's \"E\"", defaults.get("mlflow_experiment_name").asText());
        assertEquals("it's \"E\"", defaults.get("stdout_experiment_name").asText());
        assertEquals("sqlite:///" + temp.resolve("store.db"), defaults.get("mlflow_tracking_uri").asText());
        assertEquals(temp.resolve("my spool").toString(), defaults.get("mlflow_spool_dir").asText(),
                "the spool directory reaches the Python MLflow backend, normalized");
        assertEquals(List.of("STDOUT", "CSV", "MLFLOW"), List.of(defaults.get("tracking_backends").get(0).asText(),
                defaults.get("tracking_backends").get(1).asText(), defaults.get("tracking_backends").get(2).asText()));
        assertEquals(3, defaults.get("tracking_backends").size());
        assertFalse(defaults.get("params_logged_by_launcher").asBoolean());

        JsonNode overridden = parsedDefaults(generated.directory(), "--tracking_backends", "stdout", "--csv_dir", "x");
        assertEquals("x", overridden.get("csv_dir").asText(), "the command line wins over the defaults");
        assertEquals(1, overridden.get("tracking_backends").size());

        PythonRun help = PythonRun.run(generated.directory(), Map.of(), "train.py", "--help");
        assertEquals(0, help.exitCode(), help.describe());
        assertTrue(help.stdout().contains("--params_logged_by_launcher"), help.stdout());
    }

    @Test
    void aScriptRunOnItsOwnWritesItsCsvRunBelowTheConfiguredDirectory() throws Exception {
        Path csvDir = temp.resolve("csv");
        TrackingConfig config = tracking("backends: {stdout: {experiment_name: alone}, csv: {dir: %s}}\n"
                .formatted(new ObjectMapper().writeValueAsString(csvDir.toString())));
        GeneratedExperiment generated = new TrainingScriptGenerator().generate(experiment(), config, temp.resolve("out"));
        Path elsewhere = Files.createDirectories(temp.resolve("elsewhere"));

        PythonRun run = PythonRun.run(elsewhere, Map.of(), generated.script().toString());
        assertEquals(0, run.exitCode(), run.describe());
        try (Stream<Path> runs = Files.list(csvDir)) {
            assertEquals(List.of("run_1"), runs.map(p -> p.getFileName().toString()).collect(Collectors.toList()));
        }
        String metrics = Files.readString(csvDir.resolve("run_1/metrics.csv"));
        assertTrue(metrics.contains(",val_loss,"), metrics);
        String params = Files.readString(csvDir.resolve("run_1/params.yaml"));
        assertTrue(params.contains("learning_rate: 0.5\n"), "on its own the script logs its params:\n" + params);
        try (Stream<Path> left = Files.list(elsewhere)) {
            assertEquals(0, left.count(), "nothing is written relative to the working directory");
        }
    }

    @Test
    void tracking_backendsIsATupleOfUpperCaseNamesAndEveryValueAnEscapedLiteral() {
        TrackingConfig config = tracking("backends: {stdout: {experiment_name: \"a\\nb \\\"q\\\" \\\\\"}}\n");
        assertEquals(List.of("\"stdout_every_n_steps\": \"0\"", "\"stdout_experiment_name\": 'a\\nb \"q\" \\\\'",
                "\"tracking_backends\": (\"STDOUT\",)"),
                TrainingScriptGenerator.trackingDefaults(config));
        assertEquals(List.of("\"tracking_backends\": ()"), TrainingScriptGenerator.trackingDefaults(
                new TrackingConfig("t.yaml", List.of(), List.of(), Map.of(), List.of())));
    }

    @Test
    void scriptOptionsAreExactlyWhatTheGeneratedParserReadsBack() throws Exception {
        ExperimentSpec spec = new ExperimentLoader(name -> null).parse("""
                name: mlp
                model: {type: mlp, hidden_sizes: [16, 8], activation: tanh}
                dataset: digits
                training: {epochs: 2, batch_size: 10, learning_rate: 1e-05, seed: 0, validation_split: 0.0}
                """, "mlp.yaml");
        Map<String, String> options = TrainingScriptGenerator.scriptOptions(spec);
        assertEquals(List.of("hidden_sizes", "activation", "epochs", "batch_size", "learning_rate", "seed",
                "validation_split"), List.copyOf(options.keySet()));
        assertEquals("16,8", options.get("hidden_sizes"));
        GeneratedExperiment generated = new TrainingScriptGenerator().generate(
                new ExperimentLoader(name -> null).parse(EXPERIMENT.replace("softmax_regression", "mlp, hidden_sizes: [3], "
                        + "activation: relu"), "other.yaml"),
                tracking("backends: {stdout: {}}\n"), temp.resolve("out"));
        String hyperparameters = "import json, sys, train\n"
                + "print(json.dumps(train.hyperparameters(train.parse_args(sys.argv[1:]))))\n";
        String[] command = Stream.concat(Stream.of("-c", hyperparameters),
                options.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())).toArray(String[]::new);
        PythonRun parse = PythonRun.run(generated.directory(), Map.of(), command);
        assertEquals(0, parse.exitCode(), parse.describe());
        Map<?, ?> parsed = new ObjectMapper().readValue(parse.stdout(), Map.class);
        assertEquals(spec.hyperparameters(), parsed, "the script trains with, and would log, exactly the launcher's params");
        assertNotEquals(experiment().hyperparameters(), parsed);
    }

    @Test
    void twoBackendsProducingOneOptionAreRejected() {
        TrackingConfig config = tracking("backends: {stdout: {}}\n");
        TrackingException error = assertThrows(TrackingException.class, () -> new TrackingConfig("t.yaml",
                List.of(config.backends().get(0), config.backends().get(0)), List.of(), Map.of(), List.of())
                .pythonDefaults());
        assertEquals("t.yaml: backends: the Python option 'stdout_every_n_steps' is produced by both STDOUT and "
                + "STDOUT", error.getMessage());
    }
}
