package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mlpipelines generate} and {@code run}: arguments, bad input, exit codes. */
class ExperimentCommandsTest {
    @TempDir
    Path temp;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int main(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path experiment(String epochs) throws IOException {
        return Files.writeString(temp.resolve("exp.yaml"), """
                name: cli
                model: {type: softmax_regression}
                dataset: digits
                training: {epochs: %s, batch_size: 32, learning_rate: 0.1, seed: 1}
                """.formatted(epochs));
    }

    @Test
    void bothCommandsAreListedInTheUsage() {
        assertEquals(0, main("--help"));
        String usage = out.toString(StandardCharsets.UTF_8);
        assertTrue(usage.contains("mlpipelines run EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR]"), usage);
        assertTrue(usage.contains("mlpipelines generate EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR]"), usage);
    }

    @Test
    void badUsageExitsTwoWithTheUsage() throws IOException {
        assertEquals(2, main("generate"));
        assertTrue(err().startsWith("mlpipelines generate: expected the experiment file\nusage: mlpipelines generate"),
                err());
        err.reset();
        assertEquals(2, main("run", experiment("1").toString(), "--epochs", "3"));
        assertTrue(err().startsWith("mlpipelines run: unknown option '--epochs'; expected --tracking, --out, --processes, --json or --set"), err());
        err.reset();
        assertEquals(2, main("run", experiment("1").toString(), "--out"));
        assertTrue(err().startsWith("mlpipelines run: --out needs a value"), err());
        err.reset();
        assertEquals(2, main("generate", "a.yaml", "b.yaml"));
        assertTrue(err().startsWith("mlpipelines generate: unexpected argument 'b.yaml'; expected one experiment file"),
                err());
    }

    @Test
    void badExperimentOrTrackingFilesExitTwoNamingFileAndKeyAndStartNothing() throws IOException {
        Path out = temp.resolve("out");
        assertEquals(2, main("run", experiment("many").toString(), "--out", out.toString()));
        assertEquals("mlpipelines: " + temp.resolve("exp.yaml") + ": training.epochs: 'many' is a string; "
                + "expected a number\n", err());
        assertFalse(Files.exists(out));
        err.reset();
        Path tracking = Files.writeString(temp.resolve("tracking.yaml"), "backends: {stdout: {colour: red}}\n");
        assertEquals(2, main("generate", experiment("1").toString(), "--tracking=" + tracking, "--out", out.toString()));
        assertTrue(err().startsWith("mlpipelines: " + tracking + ": backends.stdout.colour: unknown key"), err());
        assertFalse(Files.exists(out));
        err.reset();
        assertEquals(2, main("generate", temp.resolve("missing.yaml").toString()));
        assertEquals("mlpipelines: " + temp.resolve("missing.yaml") + ": no such file\n", err());
    }

    @Test
    void generateWritesTheScriptWithThePackedRuntimeOrSaysItIsMissing() throws IOException {
        Path out = temp.resolve("out");
        boolean runtimePacked = getClass().getClassLoader().getResource(PythonRuntime.RESOURCE_DIRECTORY + "/__init__.py") != null;
        int exit = main("generate", experiment("2").toString(), "--out", out.toString());
        if (runtimePacked) {
            assertEquals(0, exit, err());
            assertTrue(Files.isRegularFile(out.resolve("cli/train.py")));
            assertTrue(Files.isRegularFile(out.resolve("cli/mlpipelines/tracking/__init__.py")));
            assertTrue(this.out.toString(StandardCharsets.UTF_8).contains("wrote " + out.resolve("cli/train.py")));
        } else {
            assertEquals(2, exit);
            assertTrue(err().contains("the Python runtime packed with the generator has no __init__.py"), err());
            assertFalse(Files.exists(out.resolve("cli")));
        }
    }

    /** The message a command prints for a bad experiment, with the file's name replaced. */
    private String messageFor(String command, Path experiment, String... more) {
        err.reset();
        List<String> args = new java.util.ArrayList<>(List.of(command, experiment.toString(), "--out",
                temp.resolve("out").toString()));
        args.addAll(List.of(more));
        assertEquals(2, main(args.toArray(String[]::new)), err());
        assertFalse(Files.exists(temp.resolve("out")), "nothing is written: " + err());
        return err().replace(experiment.toString(), "EXPERIMENT");
    }

    @Test
    void aBadSetValueGetsTheMessageOfTheSameValueInTheFileAndWritesNothing() throws IOException {
        Path good = experiment("1");
        Path inFile = Files.writeString(temp.resolve("bad.yaml"), Files.readString(good).replace("epochs: 1", "epochs: zero"));
        for (String command : List.of("run", "generate")) {
            String fromFile = messageFor(command, inFile);
            assertEquals("mlpipelines: EXPERIMENT: training.epochs: 'zero' is a string; expected a number\n", fromFile);
            assertEquals(fromFile, messageFor(command, good, "--set", "training.epochs=zero"));
            assertEquals(fromFile, messageFor(command, good, "--set=training.epochs=zero"));
        }
        assertEquals("mlpipelines: EXPERIMENT: training.learning_rate: is -1.0; expected a number greater than 0\n",
                messageFor("run", good, "--set", "training.learning_rate=-1"));
        assertEquals("mlpipelines: EXPERIMENT: model.hidden_sizes: only applies to type mlp; a softmax_regression has "
                + "no hidden layers\n", messageFor("generate", good, "--set", "model.hidden_sizes=[16,8]"));
        assertEquals("mlpipelines: EXPERIMENT: model.hidden_sizes[1]: 0 is out of range; expected an integer from 1 "
                + "to 100000\n", messageFor("generate", good, "--set", "model.type=mlp", "--set=model.activation=relu",
                "--set", "model.hidden_sizes=[16, 0]"));
        assertEquals("mlpipelines: EXPERIMENT: training.seed: expected a number, got a mapping\n",
                messageFor("run", good, "--set", "training.seed={a: 1}"));
    }

    @Test
    void anUnknownSetKeyPathOrAMalformedSetIsAnErrorNamingItAndWritesNothing() throws IOException {
        Path good = experiment("1");
        String validKeys = "expected one of name, model.type, model.hidden_sizes, model.activation, dataset, "
                + "training.epochs, training.batch_size, training.learning_rate, training.seed, training.validation_split, "
                + "framework, training.optimizer, training.momentum, training.weight_decay, training.grad_clip_norm, "
                + "training.lr_schedule, training.early_stopping.monitor, training.early_stopping.patience, "
                + "model.layers, distributed.processes";
        assertEquals("mlpipelines: EXPERIMENT: training.epoch: unknown key path given to --set; " + validKeys
                        + "; did you mean 'training.epochs'?\n",
                messageFor("run", good, "--set", "training.epoch=3"));
        assertEquals("mlpipelines: EXPERIMENT: training: unknown key path given to --set; " + validKeys + "\n",
                messageFor("generate", good, "--set", "training={epochs: 3}"));
        String malformed = messageFor("generate", good, "--set", "model.hidden_sizes=[16,8");
        assertTrue(malformed.startsWith("mlpipelines: EXPERIMENT: model.hidden_sizes: the --set value '[16,8' is not "
                + "valid YAML: "), malformed);
        assertTrue(malformed.endsWith("; expected a scalar such as 0.1 or a flow list such as [16, 8]\n"), malformed);
        String tag = messageFor("run", good, "--set", "name=!!java.io.File [x]");
        assertTrue(tag.startsWith("mlpipelines: EXPERIMENT: name: the --set value '!!java.io.File [x]' is not valid YAML"),
                tag);
        for (String bad : List.of("training.epochs", "=3", " =3")) {
            String usage = messageFor("run", good, "--set", bad);
            assertTrue(usage.startsWith("mlpipelines run: --set needs KEY.PATH=VALUE, e.g. --set training.epochs=5; "
                    + "got '" + bad + "'\nusage: mlpipelines run"), usage);
        }
        assertTrue(messageFor("generate", good, "--set").startsWith("mlpipelines generate: --set needs a value"));
    }

    @Test
    void setOverridesWhatTheScriptTrainsWithByDefault() throws IOException {
        Path out = temp.resolve("out");
        assertEquals(0, main("generate", experiment("1").toString(), "--out", out.toString(),
                "--set", "training.learning_rate=0.25", "--set=training.epochs=7", "--set", "training.epochs=9"), err());
        String script = Files.readString(out.resolve("cli/train.py"));
        assertTrue(script.contains("\"--learning_rate\",\n        type=positive_float,\n        default=0.25,\n"), script);
        assertTrue(script.contains("\"--epochs\",\n        type=positive_int,\n        default=9,\n"),
                "the last --set of a key wins");
    }
}
