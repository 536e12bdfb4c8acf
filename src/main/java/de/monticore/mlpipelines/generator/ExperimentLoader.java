package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.generator.ExperimentSpec.Activation;
import de.monticore.mlpipelines.generator.ExperimentSpec.Dataset;
import de.monticore.mlpipelines.generator.ExperimentSpec.Framework;
import de.monticore.mlpipelines.generator.ExperimentSpec.Model;
import de.monticore.mlpipelines.generator.ExperimentSpec.ModelType;
import de.monticore.mlpipelines.generator.ExperimentSpec.Training;
import de.monticore.mlpipelines.generator.pytorch.PyTorchExperiment;
import de.monticore.mlpipelines.generator.pytorch.PyTorchExperimentParser;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.Suggestions;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;
import de.monticore.mlpipelines.tracking.config.YamlFile;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads and validates experiment.yaml into an {@link ExperimentSpec}, with the same YAML reader and
 * the same errors as tracking.yaml: every {@link TrackingConfigException} names the file, the key
 * path and what was expected ({@code digits.yaml: training.epochs: 'ten' is not a whole number;
 * expected an integer from 1 to 100000}).
 *
 * <pre>{@code
 * name: digits
 * model:
 *   type: mlp                 # softmax_regression | mlp
 *   hidden_sizes: [64, 32]    # mlp only
 *   activation: relu          # mlp only: relu | tanh | sigmoid
 * dataset: digits
 * training:
 *   epochs: 3
 *   batch_size: 32
 *   learning_rate: 0.1
 *   seed: 42
 *   validation_split: 0.2     # optional, default 0.2
 * }</pre>
 */
public final class ExperimentLoader {
    // sweep: read by generator.sweep.SweepLoader; `run` trains the experiment without it.
    private static final Set<String> TOP_LEVEL_KEYS = Set.of("name", "model", "dataset", "training", "sweep");
    private static final Set<String> PYTORCH_TOP_LEVEL_KEYS =
            Set.of("name", "framework", "model", "dataset", "training", "distributed", "sweep");
    private static final Set<String> MLP_KEYS = Set.of("type", "hidden_sizes", "activation");
    private static final Set<String> SOFTMAX_KEYS = Set.of("type");
    private static final Set<String> TRAINING_KEYS =
            Set.of("epochs", "batch_size", "learning_rate", "seed", "validation_split");
    /** The key paths {@code --set} may override: every leaf of the schema above. */
    public static final List<String> OVERRIDABLE_KEYS = List.of("name", "model.type", "model.hidden_sizes",
            "model.activation", "dataset", "training.epochs", "training.batch_size", "training.learning_rate",
            "training.seed", "training.validation_split", "framework", "training.optimizer", "training.momentum",
            "training.weight_decay", "training.grad_clip_norm", "training.lr_schedule",
            "training.early_stopping.monitor", "training.early_stopping.patience", "model.layers",
            "distributed.processes");
    private static final int MAX_SIZE = 100_000;
    private static final int MAX_NAME_LENGTH = 250;

    private final Function<String, String> environment;

    /** A loader resolving {@code ${ENV_VAR}} references with the given lookup (null when unset). */
    public ExperimentLoader(Function<String, String> environment) {
        this.environment = environment;
    }

    /** A loader resolving {@code ${ENV_VAR}} references from the process environment. */
    public ExperimentLoader() {
        this(System::getenv);
    }

    /**
     * Reads and validates an experiment file.
     *
     * @throws TrackingConfigException naming the file, key path and what was expected
     */
    public ExperimentSpec load(Path file) {
        return validate(YamlFile.read(file, environment));
    }

    /**
     * Reads an experiment file with command-line overrides applied before validation, so that an
     * overridden value is checked, logged and trained with exactly like one written in the file.
     *
     * @param overrides key path ({@code training.learning_rate}, one of {@link #OVERRIDABLE_KEYS}) to
     *                  value text, read as a YAML scalar or flow collection ({@code 0.01}, {@code [16, 8]})
     * @throws TrackingConfigException naming the file, key path and what was expected; for an unknown
     *                                 key path listing the valid ones
     */
    public ExperimentSpec load(Path file, Map<String, String> overrides) {
        return validate(override(YamlFile.read(file, environment), overrides));
    }

    /** Validates YAML text; {@code name} stands for the file in messages. */
    public ExperimentSpec parse(String yaml, String name) {
        return validate(YamlFile.parse(yaml, name, environment));
    }

    /** As {@link #parse(String, String)}, with overrides as in {@link #load(Path, Map)}. */
    public ExperimentSpec parse(String yaml, String name, Map<String, String> overrides) {
        return validate(override(YamlFile.parse(yaml, name, environment), overrides));
    }

    private static ConfigSection override(ConfigSection top, Map<String, String> overrides) {
        ConfigSection result = top;
        for (Map.Entry<String, String> entry : overrides.entrySet()) {
            String keyPath = entry.getKey();
            if (!OVERRIDABLE_KEYS.contains(keyPath)) {
                throw new TrackingConfigException(top.file(), keyPath, "unknown key path given to --set; expected "
                        + "one of " + String.join(", ", OVERRIDABLE_KEYS) + Suggestions.didYouMean(keyPath, OVERRIDABLE_KEYS));
            }
            result = result.withValue(keyPath, yamlValue(top.file(), keyPath, entry.getValue()));
        }
        return result;
    }

    /** The value text of an override as YAML in safe mode: {@code [16, 8]} is a list, {@code 0.1} a number. */
    private static Object yamlValue(String file, String keyPath, String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(50);
        try {
            return new Yaml(new SafeConstructor(options)).load(text);
        } catch (YAMLException e) {
            String problem = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new TrackingConfigException(file, keyPath, "the --set value '" + text + "' is not valid YAML: "
                    + problem + "; expected a scalar such as 0.1 or a flow list such as [16, 8]", e);
        }
    }

    private ExperimentSpec validate(ConfigSection top) {
        Framework framework = top.has("framework")
                ? choice(top, "framework", Framework.values(), "a framework") : Framework.NUMPY;
        if (framework == Framework.PYTORCH) {
            top.rejectUnknownKeys(PYTORCH_TOP_LEVEL_KEYS);
        } else {
            if (top.has("distributed")) {
                throw top.error("distributed", "only applies to framework pytorch (torchrun); NumPy trains in one "
                        + "process");
            }
            Set<String> known = new java.util.HashSet<>(TOP_LEVEL_KEYS);
            known.add("framework");
            top.rejectUnknownKeys(known);
        }
        String name = top.requireString("name");
        if (name.length() > MAX_NAME_LENGTH) {
            throw top.error("name", "is " + name.length() + " characters long; expected at most " + MAX_NAME_LENGTH);
        }
        if (!isWellFormed(name)) {
            throw top.error("name", "holds an unpaired surrogate; expected valid Unicode text");
        }
        if (framework == Framework.PYTORCH) {
            if (!top.has("training")) {
                throw top.error("training", "missing; expected a mapping with epochs, batch_size, learning_rate, seed");
            }
            Training training = training(top.section("training"), PyTorchExperimentParser.TRAINING_KEYS);
            PyTorchExperiment pytorch = PyTorchExperimentParser.parse(top, baseDirectory(top.file()),
                    training.validationSplit());
            return new ExperimentSpec(name, top.file(), null, null, training, pytorch);
        }
        if (!top.has("model")) {
            throw top.error("model", "missing; expected a mapping with type (" + choices(ModelType.values()) + ")");
        }
        Model model = model(top.section("model"));
        Dataset dataset = choice(top, "dataset", Dataset.values(), "a data set");
        if (!top.has("training")) {
            throw top.error("training", "missing; expected a mapping with epochs, batch_size, learning_rate, seed");
        }
        Training training = training(top.section("training"), Set.of());
        return new ExperimentSpec(name, top.file(), model, dataset, training);
    }

    private static Model model(ConfigSection section) {
        ModelType type = choice(section, "type", ModelType.values(), "a model type");
        if (type == ModelType.SOFTMAX_REGRESSION) {
            for (String key : section.keys()) {
                if (MLP_KEYS.contains(key) && !SOFTMAX_KEYS.contains(key)) {
                    throw section.error(key, "only applies to type mlp; a softmax_regression has no hidden layers");
                }
            }
            section.rejectUnknownKeys(SOFTMAX_KEYS);
            return new Model(type, List.of(), null);
        }
        section.rejectUnknownKeys(MLP_KEYS);
        if (!section.has("hidden_sizes")) {
            throw section.error("hidden_sizes", "missing; expected a list of layer widths, e.g. [64, 32]");
        }
        List<String> sizes = section.numberList("hidden_sizes", "a whole number from 1 to " + MAX_SIZE);
        if (sizes.isEmpty()) {
            throw section.error("hidden_sizes", "is empty; expected at least one layer width for an mlp "
                    + "(use type softmax_regression for none)");
        }
        List<Integer> hiddenSizes = new ArrayList<>();
        for (int i = 0; i < sizes.size(); i++) {
            hiddenSizes.add((int) wholeNumber(section, "hidden_sizes[" + i + "]", sizes.get(i), 1, MAX_SIZE));
        }
        Activation activation = choice(section, "activation", Activation.values(), "an activation");
        return new Model(type, hiddenSizes, activation);
    }

    /** The directory data paths are relative to: the experiment file's, or the working directory. */
    private static Path baseDirectory(String file) {
        Path parent = Path.of(file).toAbsolutePath().getParent();
        return parent == null ? Path.of("").toAbsolutePath() : parent;
    }

    private static Training training(ConfigSection section, Set<String> frameworkKeys) {
        for (String key : section.keys()) {
            if (!TRAINING_KEYS.contains(key) && PyTorchExperimentParser.TRAINING_KEYS.contains(key)
                    && frameworkKeys.isEmpty()) {
                throw section.error(key, "only applies to framework pytorch; the NumPy model trains with plain SGD");
            }
        }
        Set<String> known = new java.util.HashSet<>(TRAINING_KEYS);
        known.addAll(frameworkKeys);
        section.rejectUnknownKeys(known);
        int epochs = (int) wholeNumber(section, "epochs", required(section, "epochs"), 1, MAX_SIZE);
        int batchSize = (int) wholeNumber(section, "batch_size", required(section, "batch_size"), 1, MAX_SIZE);
        double learningRate = decimal(section, "learning_rate", required(section, "learning_rate"));
        if (!(learningRate > 0)) {
            throw section.error("learning_rate", "is " + learningRate + "; expected a number greater than 0");
        }
        long seed = wholeNumber(section, "seed", required(section, "seed"), 0, 0xFFFF_FFFFL);
        double validationSplit = decimal(section, "validation_split",
                section.numberText("validation_split", "0.2", "a fraction from 0 up to, not including, 1"));
        if (!(validationSplit >= 0 && validationSplit < 1)) {
            throw section.error("validation_split", "is " + validationSplit
                    + "; expected a fraction from 0 (no validation) up to, not including, 1");
        }
        return new Training(epochs, batchSize, learningRate, seed, validationSplit);
    }

    /** The text of a number that must be written as a YAML number ({@code epochs: "3"} is refused). */
    private static String required(ConfigSection section, String key) {
        String value = section.numberText(key, null, "a number");
        if (value == null) {
            throw section.error(key, "missing; expected a number");
        }
        return value;
    }

    private static long wholeNumber(ConfigSection section, String key, String text, long min, long max) {
        long value;
        try {
            value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw section.error(key, "'" + text + "' is not a whole number; expected an integer from "
                    + min + " to " + max);
        }
        if (value < min || value > max) {
            throw section.error(key, value + " is out of range; expected an integer from " + min + " to " + max);
        }
        return value;
    }

    private static double decimal(ConfigSection section, String key, String text) {
        double value;
        try {
            value = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw section.error(key, "'" + text + "' is not a number; expected a decimal number such as 0.1");
        }
        // Double.parseDouble also reads "NaN", "Infinity" and hex floats; only plain finite numbers are meant.
        if (!Double.isFinite(value) || text.trim().matches("(?i).*[xp].*")) {
            throw section.error(key, "'" + text + "' is not a finite decimal number; expected e.g. 0.1");
        }
        return value;
    }

    private static <E extends Enum<E>> E choice(ConfigSection section, String key, E[] values, String what) {
        String text = section.string(key, null);
        if (text == null) {
            throw section.error(key, "missing; expected one of " + choices(values));
        }
        for (E value : values) {
            if (value.name().equalsIgnoreCase(text.trim())) {
                return value;
            }
        }
        throw section.error(key, "'" + text + "' is not " + what + "; expected one of " + choices(values));
    }

    private static String choices(Enum<?>[] values) {
        return Arrays.stream(values).map(value -> value.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
    }

    private static boolean isWellFormed(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
