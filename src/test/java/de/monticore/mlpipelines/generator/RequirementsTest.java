package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** requirements.txt comes from the packed runtime's backend_requirements.txt and the enabled backends. */
class RequirementsTest {
    private static final String EXPERIMENT = """
            name: digits
            model: {type: softmax_regression}
            dataset: digits
            training: {epochs: 1, batch_size: 64, learning_rate: 0.5, seed: 3}
            """;

    @TempDir
    Path temp;

    private static TrackingConfig tracking(String yaml) {
        return new TrackingConfigLoader().parse(yaml, "tracking.yaml");
    }

    /** The requirement of every non-comment line of requirements.txt, in order. */
    private static List<String> requirementsOf(String text) {
        return text.lines().filter(line -> !line.isBlank() && !line.startsWith("#"))
                .map(line -> line.split("\\s+")[0]).collect(Collectors.toList());
    }

    private static List<String> generatedRequirements(TrackingConfig tracking, Path out) throws IOException {
        ExperimentSpec experiment = new ExperimentLoader(name -> null).parse(EXPERIMENT, "experiment.yaml");
        GeneratedExperiment generated = new TrainingScriptGenerator().generate(experiment, tracking, out);
        return requirementsOf(Files.readString(generated.requirements()));
    }

    @Test
    void stdoutOnlyNeedsTheTrainingAndTheRuntimeButNoBackendLibrary() throws IOException {
        List<String> requirements = generatedRequirements(
                tracking("backends:\n  stdout: {experiment_name: x}\n"), temp.resolve("out"));
        assertEquals(List.of("numpy>=1.24", "scikit-learn>=1.3", "pyyaml>=6.0", "argparse-dataclass>=2.0"),
                requirements);
    }

    @Test
    void mlflowAndTensorBoardAddTheirLinesFromTheDataFile() throws IOException {
        List<String> requirements = generatedRequirements(tracking("""
                backends:
                  mlflow: {tracking_uri: "http://127.0.0.1:1"}
                  tensorboard: {log_dir: tb}
                """), temp.resolve("out"));
        assertEquals(List.of("numpy>=1.24", "scikit-learn>=1.3", "pyyaml>=6.0", "argparse-dataclass>=2.0",
                "mlflow>=2.12", "tensorboard>=2.15", "crc32c>=2.3"), requirements);

        BackendRequirements packed = BackendRequirements.of(PythonRuntime.packaged());
        Set<String> fromFile = packed.all().stream()
                .filter(line -> Set.of("*", "MLFLOW", "TENSORBOARD").contains(line.backend()))
                .map(BackendRequirements.Requirement::requirement).collect(Collectors.toSet());
        assertEquals(fromFile, Set.copyOf(requirements.subList(2, requirements.size())),
                "every line of the enabled backends and of the runtime, nothing else");
    }

    @Test
    void eachLineSaysWhoNeedsItAndWhy() throws IOException {
        ExperimentSpec experiment = new ExperimentLoader(name -> null).parse(EXPERIMENT, "experiment.yaml");
        GeneratedExperiment generated = new TrainingScriptGenerator().generate(experiment,
                tracking("backends:\n  mlflow: {tracking_uri: \"http://127.0.0.1:1\"}\n"), temp.resolve("out"));
        String text = Files.readString(generated.requirements());
        assertTrue(text.contains("\nmlflow>=2.12               # MLFLOW backend: the MLflow client"), text);
        assertTrue(text.contains("\nnumpy>=1.24                # training: the model and its training"), text);
        assertTrue(text.contains("\npyyaml>=6.0                # tracking runtime: "), text);
    }

    @Test
    void noBackendStillNeedsTheRuntime() throws IOException {
        assertEquals(List.of("numpy>=1.24", "scikit-learn>=1.3", "pyyaml>=6.0", "argparse-dataclass>=2.0"),
                generatedRequirements(tracking("backends: {}\n"), temp.resolve("out")));
    }

    @Test
    void aMalformedLineIsAnErrorNamingFileAndLineAndNothingIsWritten() throws IOException {
        Path runtime = StdOutOnlyRuntime.writeTo(temp.resolve("runtime"));
        Files.writeString(runtime.resolve(BackendRequirements.FILE),
                "# comment\n*  pyyaml>=6.0  # fine\n\nMLFLOW mlflow >=2.12  # a space too many\n");
        TrainingScriptGenerator generator = new TrainingScriptGenerator(PythonRuntime.fromDirectory(runtime));
        ExperimentSpec experiment = new ExperimentLoader(name -> null).parse(EXPERIMENT, "experiment.yaml");
        Path out = temp.resolve("out");
        GenerationException error = assertThrows(GenerationException.class, () -> generator.generate(experiment,
                tracking("backends:\n  stdout: {}\n"), out));
        assertTrue(error.getMessage().startsWith("python/mlpipelines/tracking/backend_requirements.txt from "
                + runtime + ":4: expected 'BACKEND requirement  # why'"), error.getMessage());
        assertTrue(error.getMessage().endsWith("found 'MLFLOW mlflow >=2.12  # a space too many'"), error.getMessage());
        assertFalse(Files.exists(out.resolve("digits")), "nothing is written");

        for (String bad : List.of("mlflow mlflow>=2.12\n", "MLFLOW\n", "* --index-url=http://x\n")) {
            GenerationException malformed = assertThrows(GenerationException.class,
                    () -> BackendRequirements.parse(bad, "reqs.txt"), bad);
            assertTrue(malformed.getMessage().startsWith("reqs.txt:1: "), malformed.getMessage());
        }
    }

    @Test
    void aRuntimeWithoutTheDataFileIsAClearError() throws IOException {
        Path runtime = StdOutOnlyRuntime.writeTo(temp.resolve("runtime"));
        Files.delete(runtime.resolve(BackendRequirements.FILE));
        TrainingScriptGenerator generator = new TrainingScriptGenerator(PythonRuntime.fromDirectory(runtime));
        ExperimentSpec experiment = new ExperimentLoader(name -> null).parse(EXPERIMENT, "experiment.yaml");
        GenerationException error = assertThrows(GenerationException.class, () -> generator.generate(experiment,
                tracking("backends:\n  stdout: {}\n"), temp.resolve("out")));
        assertTrue(error.getMessage().contains("has no backend_requirements.txt"), error.getMessage());
    }
}
