package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.generator.ExperimentSpec.Activation;
import de.monticore.mlpipelines.generator.ExperimentSpec.ModelType;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ExperimentLoaderTest {
    private static final String VALID = """
            name: digits
            model:
              type: mlp
              hidden_sizes: [64, 32]
              activation: tanh
            dataset: digits
            training:
              epochs: 3
              batch_size: 32
              learning_rate: 1e-3
              seed: 42
              validation_split: 0.25
            """;

    @TempDir
    Path temp;

    private static ExperimentSpec parse(String yaml) {
        return new ExperimentLoader(Map.of("EPOCHS", "7")::get).parse(yaml, "exp.yaml");
    }

    private static String error(String yaml) {
        return assertThrows(TrackingConfigException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    void readsAValidFile() throws IOException {
        Path file = Files.writeString(temp.resolve("digits.yaml"), VALID);
        ExperimentSpec spec = new ExperimentLoader().load(file);
        assertEquals("digits", spec.name());
        assertEquals(file.toString(), spec.file());
        assertEquals(ModelType.MLP, spec.model().type());
        assertEquals(List.of(64, 32), spec.model().hiddenSizes());
        assertEquals(Activation.TANH, spec.model().activation());
        assertEquals(new ExperimentSpec.Training(3, 32, 0.001, 42, 0.25), spec.training());
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("model", "mlp");
        expected.put("hidden_sizes", "64,32");
        expected.put("activation", "tanh");
        expected.put("dataset", "digits");
        expected.put("epochs", "3");
        expected.put("batch_size", "32");
        expected.put("learning_rate", "0.001");
        expected.put("seed", "42");
        expected.put("validation_split", "0.25");
        assertEquals(expected, spec.hyperparameters());
    }

    @Test
    void softmaxRegressionNeedsOnlyTheTypeAndValidationSplitDefaults() {
        ExperimentSpec spec = parse("""
                name: s
                model: {type: Softmax_Regression}
                dataset: DIGITS
                training: {epochs: "${EPOCHS}", batch_size: 8, learning_rate: 0.5, seed: 0}
                """);
        assertEquals(ModelType.SOFTMAX_REGRESSION, spec.model().type());
        assertEquals(List.of(), spec.model().hiddenSizes());
        assertEquals(7, spec.training().epochs());
        assertEquals(0.2, spec.training().validationSplit());
        assertEquals(List.of("model", "dataset", "epochs", "batch_size", "learning_rate", "seed", "validation_split"),
                List.copyOf(spec.hyperparameters().keySet()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "name: x|exp.yaml: model: missing; expected a mapping with type (softmax_regression, mlp)",
            "model: {type: svm}|exp.yaml: model.type: 'svm' is not a model type; expected one of softmax_regression, mlp",
            "model: {type: softmax_regression, hidden_sizes: [3]}|exp.yaml: model.hidden_sizes: only applies to type mlp; a softmax_regression has no hidden layers",
            "model: {type: mlp, activation: relu}|exp.yaml: model.hidden_sizes: missing; expected a list of layer widths, e.g. [64, 32]",
            "model: {type: mlp, hidden_sizes: [], activation: relu}|exp.yaml: model.hidden_sizes: is empty; expected at least one layer width for an mlp (use type softmax_regression for none)",
            "model: {type: mlp, hidden_sizes: 64, activation: relu}|exp.yaml: model.hidden_sizes: expected a list of numbers, got a number (64)",
            "model: {type: mlp, hidden_sizes: [8, wide], activation: relu}|exp.yaml: model.hidden_sizes[1]: 'wide' is a string; expected a whole number from 1 to 100000",
            "model: {type: mlp, hidden_sizes: [0], activation: relu}|exp.yaml: model.hidden_sizes[0]: 0 is out of range; expected an integer from 1 to 100000",
            "model: {type: mlp, hidden_sizes: [8], activation: gelu}|exp.yaml: model.activation: 'gelu' is not an activation; expected one of relu, tanh, sigmoid",
            "model: {type: mlp, hidden_sizes: [8], activation: relu, dropout: 0.5}|exp.yaml: model.dropout: unknown key; expected one of activation, hidden_sizes, type",
            "dataset: mnist|exp.yaml: dataset: 'mnist' is not a data set; expected one of digits",
            "epochs: ten|exp.yaml: training.epochs: 'ten' is a string; expected a number",
            "epochs: 0|exp.yaml: training.epochs: 0 is out of range; expected an integer from 1 to 100000",
            "epochs: true|exp.yaml: training.epochs: expected a number, got a boolean (true)",
            "batch_size: 2.5|exp.yaml: training.batch_size: '2.5' is not a whole number; expected an integer from 1 to 100000",
            "learning_rate: 0|exp.yaml: training.learning_rate: is 0.0; expected a number greater than 0",
            "learning_rate: fast|exp.yaml: training.learning_rate: 'fast' is a string; expected a number",
            "learning_rate: .nan|exp.yaml: training.learning_rate: 'NaN' is not a finite decimal number; expected e.g. 0.1",
            "learning_rate: Infinity|exp.yaml: training.learning_rate: 'Infinity' is a string; expected a number",
            "learning_rate: .inf|exp.yaml: training.learning_rate: 'Infinity' is not a finite decimal number; expected e.g. 0.1",
            "seed: -1|exp.yaml: training.seed: -1 is out of range; expected an integer from 0 to 4294967295",
            "validation_split: 1|exp.yaml: training.validation_split: is 1.0; expected a fraction from 0 (no validation) up to, not including, 1",
            "momentum: 0.9|exp.yaml: training.momentum: only applies to framework pytorch; the NumPy model trains with plain SGD",
            "nesterov: true|exp.yaml: training.nesterov: unknown key; expected one of batch_size, epochs, learning_rate, seed, validation_split",
            "owner: me|exp.yaml: owner: unknown key; expected one of dataset, framework, model, name, sweep, training",
            "name: ''|exp.yaml: name: is empty; expected a non-empty string",
            "epochs: ${UNSET_VARIABLE}|exp.yaml: training.epochs: environment variable UNSET_VARIABLE is not set (referenced as ${UNSET_VARIABLE})",
    })
    void badInputNamesFileKeyPathAndExpectation(String change, String expected) {
        assertEquals(expected, error(apply(change)));
    }

    @Test
    void missingSectionsAndKeysAreNamed() {
        assertEquals("exp.yaml: name: missing; expected a string", error(VALID.replace("name: digits\n", "")));
        assertEquals("exp.yaml: training: missing; expected a mapping with epochs, batch_size, learning_rate, seed",
                error(VALID.substring(0, VALID.indexOf("training:"))));
        assertEquals("exp.yaml: training.seed: missing; expected a number", error(VALID.replace("  seed: 42\n", "")));
        assertEquals("exp.yaml: dataset: missing; expected one of digits", error(VALID.replace("dataset: digits\n", "")));
        assertEquals("exp.yaml: name: is 251 characters long; expected at most 250",
                error(VALID.replace("name: digits", "name: " + "x".repeat(251))));
        assertEquals("exp.yaml: name: holds an unpaired surrogate; expected valid Unicode text",
                error(VALID.replace("name: digits", "name: \"a\\ud800b\"")));
    }

    @Test
    void malformedOrMissingFilesAreNamed() throws IOException {
        assertEquals("exp.yaml: malformed YAML: line 1, column 14: expected ',' or ']', but got <stream end>",
                error("name: [digits").replaceAll(" \\(.*\\)$", ""));
        assertEquals("exp.yaml: expected a mapping at the top level, got a list", error("- digits\n"));
        assertEquals("exp.yaml: is empty; expected a mapping", error(""));
        Path missing = temp.resolve("nope.yaml");
        assertEquals(missing + ": no such file",
                assertThrows(TrackingConfigException.class, () -> new ExperimentLoader().load(missing)).getMessage());
        assertEquals("exp.yaml: only plain mappings, lists and scalars are allowed",
                error("name: !!java.io.File [x]\n").replaceAll("(allowed);.*", "$1").replaceAll("line \\d+, column \\d+: ", ""));
    }

    /** VALID with one key replaced or added: "key: value" goes to the section the key belongs to. */
    private static String apply(String change) {
        String key = change.substring(0, change.indexOf(':'));
        String yaml = VALID;
        if (List.of("name", "model", "dataset", "owner").contains(key)) {
            if (key.equals("model")) {
                yaml = yaml.replaceAll("(?s)model:\n(  .*?\n)+(?=dataset)", "");
            } else {
                yaml = yaml.replaceAll("(?m)^" + key + ":.*\n", "");
            }
            return key.equals("name") && change.equals("name: x") ? "name: x\ndataset: digits\ntraining: {epochs: 1}\n"
                    : change + "\n" + yaml;
        }
        String replaced = yaml.replaceAll("(?m)^  " + key + ":.*$", java.util.regex.Matcher.quoteReplacement("  " + change));
        return replaced.equals(yaml) ? yaml + "  " + change + "\n" : replaced;
    }

    @Test
    void overridesReplaceOrAddValuesBeforeValidationAndLaterOnesWin() {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("model.hidden_sizes", "[16, 8]");
        overrides.put("training.learning_rate", "0.5");
        overrides.put("training.epochs", "${EPOCHS}");
        overrides.put("name", "'quoted: name'");
        ExperimentSpec spec = new ExperimentLoader(Map.of("EPOCHS", "7")::get)
                .parse(VALID.replace("  validation_split: 0.25\n", ""), "exp.yaml", overrides);
        assertEquals(List.of(16, 8), spec.model().hiddenSizes());
        assertEquals(0.5, spec.training().learningRate());
        assertEquals(7, spec.training().epochs(), "an override is resolved like a file value");
        assertEquals("quoted: name", spec.name());
        assertEquals("0.5", spec.hyperparameters().get("learning_rate"));

        ExperimentSpec added = new ExperimentLoader(name -> null).parse(VALID.replace("  validation_split: 0.25\n", ""),
                "exp.yaml", Map.of("training.validation_split", "0.0"));
        assertEquals(0.0, added.training().validationSplit());
        assertEquals(0.25, parse(VALID).training().validationSplit(), "the file itself is unchanged");
    }

    @Test
    void anOverrideBelowAValueThatIsNoMappingNamesThatKey() {
        TrackingConfigException error = assertThrows(TrackingConfigException.class, () -> new ExperimentLoader(name -> null)
                .parse(VALID.replaceAll("(?s)training:.*", "training: fast\n"), "exp.yaml", Map.of("training.epochs", "1")));
        assertEquals("exp.yaml: training: expected a mapping, got a string", error.getMessage());
    }
}
