package de.monticore.mlpipelines.pipeline;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Several processes run the script under torchrun, from the same interpreter, with the same options. */
class TorchrunCommandTest {
    @Test
    void oneProcessRunsTheScriptAndSeveralRunItUnderTorchrun() {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        try (TrainingLauncher launcher = new TrainingLauncher("/usr/bin/python3", quiet, quiet)) {
            Map<String, String> params = Map.of("tracking_backends", "CSV");
            TrainingJob one = new TrainingJob(Path.of("run/train.py"), Path.of("e.yaml"), Map.of(), Map.of("epochs", "2"),
                    "params_logged_by_launcher");
            assertEquals(List.of("/usr/bin/python3", "run/train.py", "--epochs=2", "--tracking_backends=CSV",
                    "--params_logged_by_launcher"), launcher.command(one, params));
            TrainingJob two = new TrainingJob(one.script(), one.experimentFile(), Map.of(), one.scriptOptions(),
                    one.paramsLoggedOption(), 2);
            assertEquals(List.of("/usr/bin/python3", "-m", "torch.distributed.run", "--standalone", "--nnodes=1",
                    "--nproc-per-node=2", "run/train.py", "--epochs=2", "--tracking_backends=CSV",
                    "--params_logged_by_launcher"), launcher.command(two, params));
        }
    }
}
