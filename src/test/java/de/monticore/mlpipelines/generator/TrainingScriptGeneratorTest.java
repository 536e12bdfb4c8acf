package de.monticore.mlpipelines.generator;

import com.fasterxml.jackson.databind.JsonNode;
import de.monticore.mlpipelines.tracking.TrackingBackend;
import de.monticore.mlpipelines.tracking.TrackingBackendProvider;
import de.monticore.mlpipelines.tracking.config.ConfiguredBackend;
import de.monticore.mlpipelines.tracking.backend.stdout.StdOutConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;
import freemarker.cache.StringTemplateLoader;
import freemarker.template.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingScriptGeneratorTest {
    private static final String MLP_YAML = """
            name: digits-mlp
            model: {type: mlp, hidden_sizes: [32], activation: relu}
            dataset: digits
            training: {epochs: 3, batch_size: 32, learning_rate: 0.1, seed: 7, validation_split: 0.25}
            """;
    private static final String SOFTMAX_YAML = """
            name: digits-softmax
            model: {type: softmax_regression}
            dataset: digits
            training: {epochs: 4, batch_size: 64, learning_rate: 0.5, seed: 3}
            """;

    @TempDir
    Path temp;

    private TrainingScriptGenerator generator() throws IOException {
        return new TrainingScriptGenerator(PythonRuntime.fromDirectory(StdOutOnlyRuntime.writeTo(temp.resolve("runtime"))));
    }

    private static ExperimentSpec spec(String yaml) {
        return new ExperimentLoader(name -> null).parse(yaml, "experiment.yaml");
    }

    /** STDOUT only, filing runs under {@code experimentName}, as tracking.yaml would. */
    @SuppressWarnings("unchecked")
    static TrackingConfig stdoutTracking(String experimentName) {
        TrackingBackendProvider<StdOutConfig> stdout =
                (TrackingBackendProvider<StdOutConfig>) TrackingBackend.STDOUT.provider();
        return new TrackingConfig("tracking.yaml", List.of(new ConfiguredBackend<>(stdout, new StdOutConfig(experimentName))),
                List.of(), Map.of(), List.of());
    }

    private static final TrackingConfig STDOUT = stdoutTracking("from tracking.yaml");

    @Test
    void writesScriptRequirementsAndAByteIdenticalRuntime() throws IOException {
        Path runtime = StdOutOnlyRuntime.writeTo(temp.resolve("runtime"));
        GeneratedExperiment generated = new TrainingScriptGenerator(PythonRuntime.fromDirectory(runtime))
                .generate(spec(MLP_YAML), STDOUT, temp.resolve("out"));

        assertEquals(temp.resolve("out/digits-mlp"), generated.directory());
        assertTrue(Files.readString(generated.script()).startsWith("#!/usr/bin/env python3\n"));
        assertTrue(Files.readString(generated.requirements()).contains("\nnumpy>=1.24"));
        assertArrayEquals(Files.readAllBytes(runtime.resolve("__init__.py")),
                Files.readAllBytes(generated.directory().resolve("mlpipelines/tracking/__init__.py")));
        assertArrayEquals(Files.readAllBytes(runtime.resolve("backends/__init__.py")),
                Files.readAllBytes(generated.directory().resolve("mlpipelines/tracking/backends/__init__.py")));
        assertEquals(PythonRuntime.PACKAGE_INIT,
                Files.readString(generated.directory().resolve("mlpipelines/__init__.py")));
        try (Stream<Path> left = Files.list(temp.resolve("out"))) {
            assertEquals(List.of("digits-mlp"), left.map(p -> p.getFileName().toString()).collect(Collectors.toList()),
                    "no staging directory is left behind");
        }
    }

    @Test
    void helpListsTrainingAndTrackingOptions() throws Exception {
        GeneratedExperiment generated = generator().generate(spec(MLP_YAML), STDOUT, temp.resolve("out"));
        PythonRun help = PythonRun.run(generated.directory(), Map.of(), "train.py", "--help");
        assertEquals(0, help.exitCode(), help.describe());
        for (String option : List.of("--hidden_sizes", "--activation", "--epochs", "--batch_size", "--learning_rate",
                "--seed", "--validation_split", "--tracking_backends", "--stdout_experiment_name")) {
            assertTrue(help.stdout().contains(option), option + " missing from\n" + help.stdout());
        }
        assertTrue(help.stdout().contains("{relu,tanh,sigmoid}"), help.stdout());
        assertTrue(help.stdout().contains("(default: 0.1)"), help.stdout());
    }

    @Test
    void mlpTrainsForRealAndLogsStepAndEpochMetrics() throws Exception {
        ExperimentSpec spec = spec(MLP_YAML);
        GeneratedExperiment generated = generator().generate(spec, stdoutTracking("digits from tracking.yaml"), temp.resolve("out"));
        PythonRun run = PythonRun.run(generated.directory(), Map.of(), "train.py");
        assertEquals(0, run.exitCode(), run.describe());

        int trainingExamples = 1797 - (int) Math.round(1797 * 0.25);
        int stepsPerEpoch = (trainingExamples + 31) / 32;
        List<JsonNode> stepLosses = run.tracked("metric").stream()
                .filter(m -> m.get("key").asText().equals("train_loss")).collect(Collectors.toList());
        assertEquals(3 * stepsPerEpoch, stepLosses.size());
        for (int i = 0; i < stepLosses.size(); i++) {
            assertEquals(i + 1, stepLosses.get(i).get("step").asInt());
        }
        List<Double> epochLoss = run.metric("train_epoch_loss");
        assertEquals(3, epochLoss.size());
        assertTrue(epochLoss.get(2) < epochLoss.get(0), "training loss falls: " + epochLoss);
        assertEquals(List.of(1.0, 2.0, 3.0), run.metric("epoch"));
        List<Double> validationAccuracy = run.metric("val_accuracy");
        assertEquals(3, validationAccuracy.size());
        assertTrue(validationAccuracy.get(2) > 0.85, "an MLP learns digits: " + validationAccuracy);
        assertEquals(3, run.metric("val_loss").size());
        assertEquals(3, run.metric("train_epoch_accuracy").size());

        Map<String, String> params = new LinkedHashMap<>();
        run.tracked("params").get(0).fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
        assertEquals(spec.hyperparameters(), params, "both halves format params identically");
        assertEquals("digits from tracking.yaml", run.tracked("open").get(0).get("experiment_name").asText(),
                "tracking.yaml's experiment name wins over the experiment's");
        assertEquals("FINISHED", run.tracked("close").get(0).get("status").asText());
    }

    @Test
    void launcherLoggedParamsAreNotLoggedAgain() throws Exception {
        GeneratedExperiment generated = generator().generate(spec(SOFTMAX_YAML), STDOUT, temp.resolve("out"));
        PythonRun run = PythonRun.run(generated.directory(), Map.of(),
                "train.py", "--epochs", "1", "--" + TrainingScriptGenerator.PARAMS_LOGGED_OPTION);
        assertEquals(0, run.exitCode(), run.describe());
        assertEquals(List.of(), run.tracked("params"));
        assertEquals(1, run.metric("val_accuracy").size());
    }

    @Test
    void softmaxRegressionTrainsAndHasNoHiddenLayerOptions() throws Exception {
        GeneratedExperiment generated = generator().generate(spec(SOFTMAX_YAML), STDOUT, temp.resolve("out"));
        PythonRun run = PythonRun.run(generated.directory(), Map.of(), "train.py");
        assertEquals(0, run.exitCode(), run.describe());
        List<Double> accuracy = run.metric("val_accuracy");
        assertEquals(4, accuracy.size());
        assertTrue(accuracy.get(3) > 0.85, "softmax regression learns digits: " + accuracy);
        assertFalse(generated.script().toFile().length() == 0);
        PythonRun badOption = PythonRun.run(generated.directory(), Map.of(), "train.py", "--hidden_sizes", "8");
        assertEquals(2, badOption.exitCode(), badOption.describe());
        assertTrue(badOption.stderr().contains("unrecognized arguments: --hidden_sizes"), badOption.describe());
    }

    @Test
    void badOptionValuesAreRejectedByName() throws Exception {
        GeneratedExperiment generated = generator().generate(spec(MLP_YAML), STDOUT, temp.resolve("out"));
        PythonRun run = PythonRun.run(generated.directory(), Map.of(), "train.py", "--hidden_sizes", "8,x");
        assertEquals(2, run.exitCode(), run.describe());
        assertTrue(run.stderr().contains("argument --hidden_sizes: '8,x' is not a comma-separated list"),
                run.describe());
        run = PythonRun.run(generated.directory(), Map.of(), "train.py", "--validation_split", "1");
        assertEquals(2, run.exitCode(), run.describe());
        assertTrue(run.stderr().contains("argument --validation_split: '1' is not a fraction in [0, 1)"),
                run.describe());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "it's \"quoted\"", "back\\slash \\n \\\\", "triple \"\"\" quotes '''", "two\nlines\r\n",
            "Zahlen für Ziffern – 数字 🔢", "tab\tnul\u0000bell\u0007", "line\u2028separator\u00a0nbsp\u200bzw",
            "%(default)s {braces} ${dollar}", "\\", "\"", "ends with backslash\\"})
    void anyExperimentNameYieldsAScriptThatLogsExactlyThatName(String name) throws Exception {
        ExperimentSpec template = spec(SOFTMAX_YAML);
        ExperimentSpec spec = new ExperimentSpec(name, "weird \"file\".yaml", template.model(), template.dataset(),
                template.training());
        GeneratedExperiment generated = generator().generate(spec, stdoutTracking(name), temp.resolve("out"));
        assertTrue(generated.directory().getFileName().toString().matches("[A-Za-z0-9._-]+"),
                generated.directory().toString());

        PythonRun run = PythonRun.run(generated.directory(), Map.of("PYTHONIOENCODING", "utf-8"),
                "train.py", "--epochs", "1", "--validation_split", "0.5");
        assertEquals(0, run.exitCode(), run.describe());
        assertEquals(name, run.tracked("tags").get(0).get("experiment").asText());
        assertEquals(name, run.tracked("open").get(0).get("experiment_name").asText());
        PythonRun help = PythonRun.run(generated.directory(), Map.of("PYTHONIOENCODING", "utf-8"), "train.py", "--help");
        assertEquals(0, help.exitCode(), help.describe());
    }

    @Test
    void directoryNamesKeepOnlySafeCharacters() {
        ExperimentSpec template = spec(SOFTMAX_YAML);
        Map<String, String> expected = Map.of(
                "digits", "digits", "my exp/v2", "my_exp_v2", "../../etc", "etc", "..", "experiment",
                "Ziffern ü", "Ziffern", "a\nb", "a_b", "v1.2-rc_3", "v1.2-rc_3", "x".repeat(300), "x".repeat(100),
                "y".repeat(99) + " z", "y".repeat(99));
        expected.forEach((name, directory) -> assertEquals(directory,
                new ExperimentSpec(name, "f", template.model(), template.dataset(), template.training()).directoryName(),
                name));
    }

    @Test
    void regeneratingReplacesTheWholeDirectory() throws IOException {
        TrainingScriptGenerator generator = generator();
        GeneratedExperiment first = generator.generate(spec(MLP_YAML), STDOUT, temp.resolve("out"));
        Files.writeString(first.directory().resolve("stale.txt"), "from an older generation");
        GeneratedExperiment second = generator.generate(spec(MLP_YAML), STDOUT, temp.resolve("out"));
        assertEquals(first.directory(), second.directory());
        assertFalse(Files.exists(second.directory().resolve("stale.txt")));
        assertTrue(Files.isRegularFile(second.script()));
    }

    @Test
    void everyRunGetsADirectoryOfItsOwnThatGenerateNeverReplaces() throws IOException {
        TrainingScriptGenerator generator = generator();
        Path out = temp.resolve("out");
        GeneratedExperiment first = generator.generateRun(spec(MLP_YAML), STDOUT, out);
        GeneratedExperiment second = generator.generateRun(spec(MLP_YAML), STDOUT, out);
        assertEquals(out.resolve("_runs/digits-mlp/run-1"), first.directory());
        assertEquals(out.resolve("_runs/digits-mlp/run-2"), second.directory());
        assertEquals(first.directory().resolve("train.py"), first.script());
        assertTrue(Files.isRegularFile(second.directory().resolve("mlpipelines/tracking/__init__.py")));
        generator.generate(spec(MLP_YAML), STDOUT, out);
        assertTrue(Files.isRegularFile(first.script()), "generate leaves the runs' directories alone");
        assertEquals(Files.readString(out.resolve("digits-mlp/train.py")), Files.readString(first.script()));
    }

    @Test
    void concurrentClaimsGetDistinctRunDirectories() throws Exception {
        Path runs = temp.resolve("runs");
        Files.createDirectories(runs.resolve("run-7"));
        Files.createDirectories(runs.resolve("run-x"));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Path>> claims = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                claims.add(pool.submit(() -> TrainingScriptGenerator.claimRunDirectory(runs)));
            }
            java.util.Set<Path> claimed = new java.util.HashSet<>();
            for (java.util.concurrent.Future<Path> claim : claims) {
                claimed.add(claim.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertEquals(16, claimed.size(), claimed.toString());
            for (Path path : claimed) {
                int number = Integer.parseInt(path.getFileName().toString().substring("run-".length()));
                assertTrue(number > 7, path.toString());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anUnwritableOutputDirectoryIsAClearErrorAndWritesNothing() throws IOException {
        Path notADirectory = Files.writeString(temp.resolve("file"), "x");
        GenerationException error = assertThrows(GenerationException.class,
                () -> generator().generate(spec(MLP_YAML), STDOUT, notADirectory.resolve("out")));
        assertTrue(error.getMessage().startsWith("cannot write " + notADirectory.resolve("out/digits-mlp")),
                error.getMessage());
        assertEquals("x", Files.readString(notADirectory));
    }

    @Test
    void packagedRuntimeIsCopiedByteForByteByItsIndex() throws IOException {
        Path classpath = temp.resolve("classpath");
        Path runtime = StdOutOnlyRuntime.writeTo(classpath.resolve("python/mlpipelines"));
        Files.writeString(classpath.resolve(PythonRuntime.INDEX_RESOURCE), "__init__.py\nbackends/__init__.py\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[]{classpath.toUri().toURL()}, null)) {
            PythonRuntime packed = PythonRuntime.fromClassLoader(loader);
            assertEquals(List.of("__init__.py", "backends/__init__.py"), packed.files());
            packed.copyInto(temp.resolve("copy"));
        }
        assertArrayEquals(Files.readAllBytes(runtime.resolve("__init__.py")),
                Files.readAllBytes(temp.resolve("copy/mlpipelines/tracking/__init__.py")));
        assertArrayEquals(Files.readAllBytes(runtime.resolve("backends/__init__.py")),
                Files.readAllBytes(temp.resolve("copy/mlpipelines/tracking/backends/__init__.py")));
    }

    @Test
    void aMissingOrEscapingRuntimeIndexIsAClearError() throws IOException {
        Path classpath = Files.createDirectories(temp.resolve("classpath/python/mlpipelines"));
        try (URLClassLoader loader = new URLClassLoader(new URL[]{temp.resolve("classpath").toUri().toURL()}, null)) {
            GenerationException missing = assertThrows(GenerationException.class, () -> PythonRuntime.fromClassLoader(loader));
            assertTrue(missing.getMessage().contains("python/mlpipelines/tracking.index is not on the class path"),
                    missing.getMessage());
            Files.writeString(classpath.resolve("tracking.index"), "");
            GenerationException empty = assertThrows(GenerationException.class, () -> PythonRuntime.fromClassLoader(loader));
            assertTrue(empty.getMessage().contains("has no __init__.py"), empty.getMessage());
            Files.writeString(classpath.resolve("tracking.index"), "__init__.py\n../../evil.py\n");
            GenerationException escaping = assertThrows(GenerationException.class, () -> PythonRuntime.fromClassLoader(loader));
            assertTrue(escaping.getMessage().contains("lists '../../evil.py'; expected a path inside the runtime"),
                    escaping.getMessage());
        }
    }

    @Test
    void templatesCannotInstantiateClassesOrReachJavaApis() {
        StringTemplateLoader templates = new StringTemplateLoader();
        templates.putTemplate("New.ftl", "<#assign exec = \"freemarker.template.utility.Execute\"?new()>${exec(\"id\")}");
        templates.putTemplate("Api.ftl", "${value?api.getClass()}");
        templates.putTemplate("Plain.ftl", "${value}");
        Configuration configuration = TrainingScriptGenerator.lockedDownConfiguration(templates);
        Map<String, Object> model = new HashMap<>(Map.of("value", "a \"string\""));
        Exception newBuiltin = assertThrows(Exception.class,
                () -> configuration.getTemplate("New.ftl").process(model, new StringWriter()));
        assertTrue(newBuiltin.getMessage().contains("not allowed"), newBuiltin.getMessage());
        Exception apiBuiltin = assertThrows(Exception.class,
                () -> configuration.getTemplate("Api.ftl").process(model, new StringWriter()));
        assertTrue(apiBuiltin.getMessage().contains("?api"), apiBuiltin.getMessage());
        StringWriter plain = new StringWriter();
        assertThrows(Exception.class, () -> configuration.getTemplate("Plain.ftl")
                .process(Map.of("value", new StringBuilder("objects are not exposed")), plain));
    }

    @Test
    void optionNamesMustBeIdentifiersOutsideTheTrackingNamespaces() {
        for (String name : List.of("class", "1epochs", "batch-size", "mlflow_lr", "tracking_backends", "csv_x")) {
            assertThrows(IllegalArgumentException.class,
                    () -> new TrainingScriptGenerator.TrainingOption(name, "positive_int", "1", null, "\"h\""), name);
        }
        assertThrows(IllegalArgumentException.class,
                () -> new TrainingScriptGenerator.TrainingOption("epochs", "os.system", "1", null, "\"h\""));
        assertEquals("epochs", new TrainingScriptGenerator.TrainingOption("epochs", "positive_int", "1", null, "\"h\"")
                .name());
    }

    @Test
    void generatedScriptIsValidPythonForEveryModel() throws Exception {
        for (String yaml : List.of(MLP_YAML, SOFTMAX_YAML, MLP_YAML.replace("relu", "tanh").replace("[32]", "[16, 8]"))) {
            Path script = Files.writeString(temp.resolve("check.py"), generator().renderScript(spec(yaml), STDOUT),
                    StandardCharsets.UTF_8);
            PythonRun compile = PythonRun.run(temp, Map.of(), "-m", "py_compile", script.toString());
            assertEquals(0, compile.exitCode(), compile.describe());
        }
    }
}
