package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.generator.TrainingScriptGenerator.TrainingOption;
import de.monticore.mlpipelines.generator.data.DataSource;
import de.monticore.mlpipelines.generator.model.ResolvedLayer;
import de.monticore.mlpipelines.generator.pytorch.PyTorchExperiment;
import de.monticore.mlpipelines.generator.pytorch.PyTorchExperiment.Optimizer;
import de.monticore.mlpipelines.generator.pytorch.PyTorchExperiment.Schedule;
import de.monticore.mlpipelines.generator.pytorch.PyTorchExperiment.TorchTraining;
import de.monticore.mlpipelines.tracking.format.PythonFloat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The PyTorch part of TorchTrainingScript.ftl's data model: the model's layers as {@code nn} modules
 * with the shape each produces, the data source as a dict, and the PyTorch training options. Every
 * string is Python source made here through {@link PythonLiterals}; the template only pastes it.
 */
final class PyTorchScriptModel {
    private PyTorchScriptModel() {
    }

    /** Adds the PyTorch entries to the common script model. */
    static Map<String, Object> of(ExperimentSpec experiment, Map<String, Object> common) {
        PyTorchExperiment pytorch = experiment.pytorch();
        DataSource data = pytorch.data();
        Map<String, Object> model = new LinkedHashMap<>(common);
        List<String> layerLines = new ArrayList<>();
        for (ResolvedLayer layer : pytorch.layers()) {
            layerLines.add("        " + layer.module() + ",  # " + layer.output());
        }
        model.put("layerLines", layerLines);
        model.put("inputShape", data.inputShape().toString());
        model.put("dataLines", dataLines(data));
        model.put("task", PythonLiterals.string(data.task().yamlName()));
        model.put("layersLine", PythonLiterals.stringValue("LAYERS = ", pytorch.layersParam(), "", 0));
        model.put("datasetLine", PythonLiterals.stringValue("DATASET = ", data.describe(), "", 0));
        model.put("checkpointOption", PythonLiterals.identifier(TrainingScriptGenerator.CHECKPOINT_OPTION));
        return model;
    }

    /** The entries of the script's {@code DATA} dict, one line each, as {@code load_data} reads them. */
    private static List<String> dataLines(DataSource data) {
        List<String> lines = new ArrayList<>();
        lines.add(entry("source", PythonLiterals.string(data.kind())));
        lines.add(entry("name", PythonLiterals.string(data.name())));
        lines.add(entry("layout", PythonLiterals.string(data.layout())));
        lines.add(data.path() == null ? entry("path", "None")
                : PythonLiterals.stringValue("    \"path\": ", data.path().toString(), ",", 4));
        lines.add(entry("label", data.label() == null ? "None" : PythonLiterals.string(data.label())));
        lines.add(data.validationPath() == null ? entry("validation_path", "None")
                : PythonLiterals.stringValue("    \"validation_path\": ", data.validationPath().toString(), ",", 4));
        lines.add(entry("task", PythonLiterals.string(data.task().yamlName())));
        lines.add(entry("input_shape", PythonLiterals.intList(data.inputShape().dims())));
        lines.add(entry("outputs", String.valueOf(data.outputs())));
        // Tabular features are standardised with the training part's statistics; images and NPZ arrays are not.
        boolean standardize = data.kind().equals("csv") || (data.kind().equals("sklearn") && !data.name().equals("digits"));
        lines.add(entry("standardize", standardize ? "True" : "False"));
        return lines;
    }

    private static String entry(String key, String value) {
        return "    " + PythonLiterals.string(key) + ": " + value + ",";
    }

    /** The PyTorch training options, after the common ones; their values are the params of the same name. */
    static List<TrainingOption> options(PyTorchExperiment pytorch) {
        TorchTraining training = pytorch.training();
        List<TrainingOption> options = new ArrayList<>();
        options.add(new TrainingOption("optimizer", "str", PythonLiterals.string(training.optimizer().yamlName()),
                choices(Arrays.stream(Optimizer.values()).map(Optimizer::yamlName)),
                PythonLiterals.string("the optimiser")));
        options.add(new TrainingOption("momentum", "fraction", PythonFloat.repr(training.momentum()), null,
                PythonLiterals.string("SGD's momentum")));
        options.add(new TrainingOption("weight_decay", "non_negative_float", PythonFloat.repr(training.weightDecay()),
                null, PythonLiterals.string("L2 penalty (decoupled for adamw)")));
        options.add(new TrainingOption("lr_schedule", "str", PythonLiterals.string(training.schedule().yamlName()),
                choices(Arrays.stream(Schedule.values()).map(Schedule::yamlName)),
                PythonLiterals.string("learning-rate schedule, stepped per epoch")));
        options.add(new TrainingOption("lr_step_size", "positive_int", String.valueOf(training.stepSize()), null,
                PythonLiterals.string("epochs between decays of the step schedule")));
        options.add(new TrainingOption("lr_gamma", "positive_float", PythonFloat.repr(training.gamma()), null,
                PythonLiterals.string("decay factor of the step schedule")));
        options.add(new TrainingOption("grad_clip_norm", "non_negative_float", PythonFloat.repr(training.gradClipNorm()),
                null, PythonLiterals.string("largest gradient norm; 0 for no clipping")));
        String monitor = training.monitor().isEmpty() ? "none" : training.monitor();
        options.add(new TrainingOption("early_stopping_monitor", "str", PythonLiterals.string(monitor),
                choices(Stream.concat(Stream.of("none"), pytorch.data().task().epochMetrics().stream())),
                PythonLiterals.string("epoch metric early stopping watches; none for no early stopping")));
        options.add(new TrainingOption("early_stopping_patience", "non_negative_int",
                String.valueOf(training.patience()), null,
                PythonLiterals.string("epochs without improvement before stopping")));
        return options;
    }

    private static String choices(Stream<String> names) {
        return names.map(PythonLiterals::string).collect(Collectors.joining(", ", "[", "]"));
    }
}
