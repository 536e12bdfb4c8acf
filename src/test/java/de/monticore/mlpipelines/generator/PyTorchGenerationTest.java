package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.cli.Main;
import de.monticore.mlpipelines.pipeline.TrainingJob;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a PyTorch experiment generates: a thin script, the training module beside it, torch in requirements. */
class PyTorchGenerationTest {
    private static final String CNN = """
            name: cnn
            framework: pytorch
            dataset: {name: digits, layout: image}
            model:
              layers: [conv2d: {filters: 4}, relu, avg_pool: {size: 2}, flatten, linear]
            training: {epochs: 1, batch_size: 32, learning_rate: 0.01, seed: 1, optimizer: adam}
            distributed: {processes: 2}
            """;
    private static final String NUMPY = """
            name: np
            model: {type: softmax_regression}
            dataset: digits
            training: {epochs: 1, batch_size: 32, learning_rate: 0.1, seed: 1}
            """;

    @TempDir
    Path temp;

    private static ExperimentSpec spec(String yaml) {
        return new ExperimentLoader(name -> null).parse(yaml, "experiment.yaml");
    }

    private static TrackingConfig stdout() {
        return new TrackingConfigLoader().parse("backends: {stdout: {experiment_name: t}}\n", "tracking.yaml");
    }

    @Test
    void theScriptBuildsTheModelAndImportsTheVendoredTrainingModule() throws Exception {
        GeneratedExperiment generated = new TrainingScriptGenerator().generate(spec(CNN), stdout(), temp);
        String script = Files.readString(generated.script());
        assertTrue(script.contains("""
                    return nn.Sequential(
                        nn.Conv2d(1, 4, kernel_size=3),  # (4, 6, 6)
                        nn.ReLU(),  # (4, 6, 6)
                        nn.AvgPool2d(kernel_size=2),  # (4, 3, 3)
                        nn.Flatten(),  # (36,)
                        nn.Linear(36, 10),  # (10,)
                    )
                """), script);
        assertTrue(script.contains("from mlpipelines.training.loop import Settings, fit, seed_everything"), script);
        for (String file : List.of("__init__.py", "data.py", "loop.py", "distributed.py", "models.py")) {
            assertTrue(Files.isRegularFile(generated.directory().resolve("mlpipelines/training/" + file)), file);
        }
        PythonRun compile = PythonRun.run(temp, Map.of(), "-m", "py_compile", generated.script().toString());
        assertEquals(0, compile.exitCode(), compile.describe());
    }

    @Test
    void torchIsARequirementOfPyTorchExperimentsOnly() throws IOException {
        TrainingScriptGenerator generator = new TrainingScriptGenerator();
        assertTrue(generator.renderRequirements(spec(CNN), stdout()).contains("torch==2.13.0"));
        assertFalse(generator.renderRequirements(spec(NUMPY), stdout()).contains("torch"));
        GeneratedExperiment numpy = generator.generate(spec(NUMPY), stdout(), temp);
        assertFalse(Files.exists(numpy.directory().resolve("mlpipelines/training")), "NumPy scripts import no training module");
    }

    @Test
    void theOptionsAreTheParamsOfTheSameName() {
        ExperimentSpec spec = spec(CNN);
        Map<String, String> options = TrainingScriptGenerator.scriptOptions(spec);
        assertEquals(List.of("epochs", "batch_size", "learning_rate", "seed", "validation_split", "optimizer", "momentum",
                "weight_decay", "lr_schedule", "lr_step_size", "lr_gamma", "grad_clip_norm", "early_stopping_monitor",
                "early_stopping_patience"), List.copyOf(options.keySet()));
        options.forEach((key, value) -> assertEquals(spec.hyperparameters().get(key), value, key));
    }

    @Test
    void processesOnRunIsTheSameAsSettingDistributedProcesses() throws IOException {
        Path numpy = Files.writeString(temp.resolve("np.yaml"), NUMPY);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(new String[] {"run", numpy.toString(), "--processes", "2", "--out", temp.resolve("out").toString()},
                new PrintStream(OutputStream.nullOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, exit);
        assertEquals("mlpipelines: " + numpy + ": distributed: only applies to framework pytorch (torchrun); NumPy trains "
                + "in one process\n", err.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(temp.resolve("out")));
        assertEquals(2, new TrainingJob(Path.of("train.py"), numpy, Map.of(), Map.of(), null, 2).processes());
    }
}
