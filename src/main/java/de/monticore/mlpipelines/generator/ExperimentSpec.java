package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.generator.pytorch.PyTorchExperiment;
import de.monticore.mlpipelines.tracking.format.PythonFloat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A validated experiment.yaml: what to train, on which data, with which hyperparameters. Built by
 * {@link ExperimentLoader}; every value here has already been checked.
 *
 * @param name     the experiment's name as the user wrote it (any text; escaped wherever it is used)
 * @param file     the file it was read from, as the user named it
 * @param model    the model to train
 * @param dataset  the data set to train on
 * @param training the optimisation hyperparameters
 * @param pytorch  what {@code framework: pytorch} adds (layers, data source, optimiser); null for NumPy,
 *                 and then {@code model} and {@code dataset} are null instead
 */
public record ExperimentSpec(String name, String file, Model model, Dataset dataset, Training training,
                             PyTorchExperiment pytorch) {

    /** A NumPy experiment. */
    public ExperimentSpec(String name, String file, Model model, Dataset dataset, Training training) {
        this(name, file, model, dataset, training, null);
    }

    /** The frameworks a generated script trains with. */
    public enum Framework {
        /** A NumPy MLP or softmax regression on digits: no large dependency; {@code make demo}'s. */
        NUMPY,
        /** A PyTorch model from a list of layers, on scikit-learn's sets or your own files. */
        PYTORCH;

        /** The name used in experiment.yaml. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The framework this experiment trains with. */
    public Framework framework() {
        return pytorch == null ? Framework.NUMPY : Framework.PYTORCH;
    }

    /** The kinds of model the generated script can train. */
    public enum ModelType {
        /** One linear layer followed by softmax: multinomial logistic regression. */
        SOFTMAX_REGRESSION,
        /** Fully connected hidden layers with an activation, then a softmax output layer. */
        MLP;

        /** The name used in experiment.yaml and in the script's options. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Activation functions of an MLP's hidden layers. */
    public enum Activation {
        RELU, TANH, SIGMOID;

        /** The name used in experiment.yaml and in the script's options. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The data sets the generated script can load without a download. */
    public enum Dataset {
        /** scikit-learn's bundled 8x8 handwritten digits: 1797 images, 10 classes. */
        DIGITS;

        /** The name used in experiment.yaml. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The model.
     *
     * @param type        softmax regression or MLP
     * @param hiddenSizes widths of the hidden layers, in order; empty for softmax regression
     * @param activation  the hidden layers' activation; null for softmax regression
     */
    public record Model(ModelType type, List<Integer> hiddenSizes, Activation activation) {
        public Model {
            hiddenSizes = List.copyOf(hiddenSizes);
        }
    }

    /**
     * Minibatch SGD settings.
     *
     * @param epochs          passes over the training set, {@code >= 1}
     * @param batchSize       examples per step, {@code >= 1}
     * @param learningRate    SGD step size, finite and {@code > 0}
     * @param seed            seeds the data split and the weight initialisation, {@code >= 0}
     * @param validationSplit fraction of the data held out for validation, in {@code [0, 1)}
     */
    public record Training(int epochs, int batchSize, double learningRate, long seed, double validationSplit) {
    }

    /**
     * The hyperparameters as the params every backend records, in a stable order, formatted the way
     * the generated script formats them in Python ({@code str()} of the value, lists comma-separated),
     * so that both halves log identical text.
     */
    public Map<String, String> hyperparameters() {
        if (pytorch != null) {
            return pytorchHyperparameters();
        }
        Map<String, String> params = new LinkedHashMap<>();
        params.put("model", model.type().yamlName());
        if (model.type() == ModelType.MLP) {
            params.put("hidden_sizes", model.hiddenSizes().stream().map(String::valueOf)
                    .collect(Collectors.joining(",")));
            params.put("activation", model.activation().yamlName());
        }
        params.put("dataset", dataset.yamlName());
        params.put("epochs", String.valueOf(training.epochs()));
        params.put("batch_size", String.valueOf(training.batchSize()));
        params.put("learning_rate", PythonFloat.repr(training.learningRate()));
        params.put("seed", String.valueOf(training.seed()));
        params.put("validation_split", PythonFloat.repr(training.validationSplit()));
        return params;
    }

    private Map<String, String> pytorchHyperparameters() {
        PyTorchExperiment.TorchTraining torch = pytorch.training();
        Map<String, String> params = new LinkedHashMap<>();
        params.put("framework", Framework.PYTORCH.yamlName());
        params.put("layers", pytorch.layersParam());
        params.put("dataset", pytorch.data().describe());
        params.put("task", pytorch.data().task().yamlName());
        params.put("epochs", String.valueOf(training.epochs()));
        params.put("batch_size", String.valueOf(training.batchSize()));
        params.put("learning_rate", PythonFloat.repr(training.learningRate()));
        params.put("seed", String.valueOf(training.seed()));
        params.put("validation_split", PythonFloat.repr(training.validationSplit()));
        params.put("optimizer", torch.optimizer().yamlName());
        params.put("momentum", PythonFloat.repr(torch.momentum()));
        params.put("weight_decay", PythonFloat.repr(torch.weightDecay()));
        params.put("lr_schedule", torch.schedule().yamlName());
        params.put("lr_step_size", String.valueOf(torch.stepSize()));
        params.put("lr_gamma", PythonFloat.repr(torch.gamma()));
        params.put("grad_clip_norm", PythonFloat.repr(torch.gradClipNorm()));
        params.put("early_stopping_monitor", torch.monitor().isEmpty() ? "none" : torch.monitor());
        params.put("early_stopping_patience", String.valueOf(torch.patience()));
        params.put("processes", String.valueOf(pytorch.processes()));
        return params;
    }

    /** The longest {@link #directoryName()}. */
    public static final int MAX_DIRECTORY_NAME = 100;

    /**
     * The name of the experiment's output directory: the name with every character other than ASCII
     * letters, digits, {@code .}, {@code -} and {@code _} replaced by {@code _}, so that quotes,
     * slashes or newlines in a name never reach the file system, and cut to {@value #MAX_DIRECTORY_NAME}
     * characters, far below the file systems' 255 bytes with room for the staging suffix;
     * {@code experiment} if nothing is left.
     */
    public String directoryName() {
        String safe = name.replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^[._]+", "");
        safe = safe.substring(0, Math.min(safe.length(), MAX_DIRECTORY_NAME)).replaceAll("_+$", "");
        return safe.isEmpty() ? "experiment" : safe;
    }
}
