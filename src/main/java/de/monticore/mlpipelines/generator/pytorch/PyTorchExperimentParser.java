package de.monticore.mlpipelines.generator.pytorch;

import de.monticore.mlpipelines.generator.data.DataSource;
import de.monticore.mlpipelines.generator.data.DataSourceParser;
import de.monticore.mlpipelines.generator.model.LayerException;
import de.monticore.mlpipelines.generator.model.LayerKind;
import de.monticore.mlpipelines.generator.model.LayerSpec;
import de.monticore.mlpipelines.generator.model.ResolvedLayer;
import de.monticore.mlpipelines.generator.model.ShapeInference;
import de.monticore.mlpipelines.generator.pytorch.PyTorchExperiment.Optimizer;
import de.monticore.mlpipelines.generator.pytorch.PyTorchExperiment.Schedule;
import de.monticore.mlpipelines.generator.pytorch.PyTorchExperiment.TorchTraining;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads the parts of experiment.yaml that {@code framework: pytorch} adds:
 *
 * <pre>{@code
 * framework: pytorch
 * dataset: {name: digits, layout: image}     # see DataSourceParser
 * model:
 *   layers:                                  # feature counts are worked out, never typed
 *     - conv2d: {filters: 16, kernel_size: 3, padding: 1}
 *     - relu
 *     - max_pool: {size: 2}
 *     - flatten
 *     - dropout: {rate: 0.25}
 *     - linear                               # the last linear layer's units come from the data
 * training:
 *   ...                                      # epochs, batch_size, learning_rate, seed, validation_split
 *   optimizer: adam                          # sgd | adam | adamw (default sgd)
 *   momentum: 0.9                            # sgd only (default 0)
 *   weight_decay: 0.0001                     # default 0
 *   lr_schedule: {type: step, step_size: 2, gamma: 0.5}   # or none | cosine (default none)
 *   grad_clip_norm: 1.0                      # default 0: no clipping
 *   early_stopping: {monitor: val_loss, patience: 3}
 * distributed: {processes: 2}                # torchrun with 2 processes (default 1)
 * }</pre>
 */
public final class PyTorchExperimentParser {
    /** The training keys only PyTorch experiments take. */
    public static final Set<String> TRAINING_KEYS = Set.of("optimizer", "momentum", "weight_decay", "lr_schedule",
            "grad_clip_norm", "early_stopping");
    /** The largest {@code distributed.processes}. */
    public static final int MAX_PROCESSES = 64;

    private PyTorchExperimentParser() {
    }

    /**
     * Reads the model, data and PyTorch training settings of an experiment file.
     *
     * @param top             the whole file
     * @param baseDirectory   the experiment file's directory, for data paths
     * @param validationSplit the common {@code training.validation_split}
     * @throws TrackingConfigException naming the file, the key path and what was expected
     */
    public static PyTorchExperiment parse(ConfigSection top, Path baseDirectory, double validationSplit) {
        DataSource data = DataSourceParser.parse(top, baseDirectory);
        if (!top.has("model")) {
            throw top.error("model", "missing; expected a mapping with layers, a list such as [flatten, linear]");
        }
        ConfigSection model = top.section("model");
        model.rejectUnknownKeys(Set.of("layers"));
        List<LayerSpec> specs = layers(model);
        List<ResolvedLayer> layers;
        try {
            layers = ShapeInference.resolve(specs, data.inputShape(), data.outputs());
        } catch (LayerException e) {
            String key = e.index() < 0 ? "layers" : "layers[" + e.index() + "]";
            throw model.error(key, e.getMessage() + " (input " + data.inputShape() + " from dataset "
                    + data.describe() + ")");
        }
        ConfigSection trainingSection = top.section("training");
        TorchTraining training = training(trainingSection, data, validationSplit);
        ConfigSection distributed = top.section("distributed");
        distributed.rejectUnknownKeys(Set.of("processes"));
        int processes = (int) whole(distributed, "processes", distributed.numberText("processes", "1", "a number"), 1, MAX_PROCESSES);
        return new PyTorchExperiment(layers, data, training, processes);
    }

    private static List<LayerSpec> layers(ConfigSection model) {
        if (!model.has("layers")) {
            throw model.error("layers", "missing; expected a list of layers (" + LayerKind.choices() + ")");
        }
        List<LayerSpec> specs = new ArrayList<>();
        List<ConfigSection> items = model.sectionList("layers");
        for (int i = 0; i < items.size(); i++) {
            ConfigSection item = items.get(i);
            if (item.keys().size() != 1) {
                throw new TrackingConfigException(item.file(), item.path(), "expected one layer name with its "
                        + "settings, e.g. conv2d: {filters: 16}, got the keys " + String.join(", ", item.keys()));
            }
            String name = item.keys().iterator().next();
            LayerKind kind = LayerKind.byName(name);
            if (kind == null) {
                throw new TrackingConfigException(item.file(), item.path(), "'" + name + "' is not a layer; "
                        + "expected one of " + LayerKind.choices());
            }
            ConfigSection settings = item.section(name);
            settings.rejectUnknownKeys(kind.settings());
            Map<String, Double> values = new LinkedHashMap<>();
            for (String key : settings.keys()) {
                if (key.equals("rate")) {
                    double rate = decimal(settings, key, settings.numberText(key, "", "a number"));
                    if (!(rate >= 0 && rate < 1)) {
                        throw settings.error(key, rate + " is out of range; expected a fraction from 0 up to, not "
                                + "including, 1");
                    }
                    values.put(key, rate);
                } else {
                    long min = key.equals("padding") ? 0 : 1;
                    values.put(key, (double) whole(settings, key, settings.numberText(key, "", "a number"), min, 100_000));
                }
            }
            specs.add(new LayerSpec(i, kind, values));
        }
        return specs;
    }

    private static TorchTraining training(ConfigSection section, DataSource data, double validationSplit) {
        Optimizer optimizer = choice(section, "optimizer", section.string("optimizer", "sgd"), Optimizer.values());
        double momentum = decimal(section, "momentum", section.numberText("momentum", "0", "a number"));
        if (!(momentum >= 0 && momentum < 1)) {
            throw section.error("momentum", momentum + " is out of range; expected a number from 0 up to 1");
        }
        if (section.has("momentum") && optimizer != Optimizer.SGD) {
            throw section.error("momentum", "only applies to optimizer sgd; " + optimizer.yamlName()
                    + " keeps its own moment estimates");
        }
        double weightDecay = decimal(section, "weight_decay", section.numberText("weight_decay", "0", "a number"));
        if (!(weightDecay >= 0)) {
            throw section.error("weight_decay", weightDecay + " is negative; expected a number >= 0");
        }
        Schedule schedule = Schedule.NONE;
        int stepSize = 1;
        double gamma = 0.1;
        if (section.has("lr_schedule")) {
            ConfigSection scheduleSection;
            String scheduleKey;
            if (isScalar(section, "lr_schedule")) {
                scheduleSection = section;
                scheduleKey = "lr_schedule";
            } else {
                scheduleSection = section.section("lr_schedule");
                scheduleSection.rejectUnknownKeys(Set.of("type", "step_size", "gamma"));
                scheduleKey = "type";
            }
            schedule = choice(scheduleSection, scheduleKey, scheduleSection.string(scheduleKey, "none"),
                    Schedule.values());
            if (scheduleSection != section) {
                if (schedule != Schedule.STEP && (scheduleSection.has("step_size") || scheduleSection.has("gamma"))) {
                    throw scheduleSection.error(scheduleSection.has("gamma") ? "gamma" : "step_size",
                            "only applies to type step");
                }
                stepSize = (int) whole(scheduleSection, "step_size", scheduleSection.numberText("step_size", "1", "a number"), 1,
                        100_000);
                gamma = decimal(scheduleSection, "gamma", scheduleSection.numberText("gamma", "0.1", "a number"));
                if (!(gamma > 0 && gamma <= 1)) {
                    throw scheduleSection.error("gamma", gamma + " is out of range; expected a factor in (0, 1]");
                }
            }
        }
        double clip = decimal(section, "grad_clip_norm", section.numberText("grad_clip_norm", "0", "a number"));
        if (!(clip >= 0)) {
            throw section.error("grad_clip_norm", clip + " is negative; expected a norm > 0, or 0 for no clipping");
        }
        String monitor = "";
        int patience = 0;
        if (section.has("early_stopping")) {
            ConfigSection stopping = section.section("early_stopping");
            stopping.rejectUnknownKeys(Set.of("monitor", "patience"));
            monitor = stopping.string("monitor", "val_loss").trim();
            List<String> metrics = data.task().epochMetrics();
            if (!metrics.contains(monitor)) {
                throw stopping.error("monitor", "'" + monitor + "' is not an epoch metric of a "
                        + data.task().yamlName() + "; expected one of " + String.join(", ", metrics));
            }
            if (monitor.startsWith("val_") && validationSplit == 0 && data.validationPath() == null) {
                throw stopping.error("monitor", "'" + monitor + "' needs validation data, but validation_split is 0 "
                        + "and the dataset names no validation file; monitor a train_epoch_ metric or hold data out");
            }
            patience = (int) whole(stopping, "patience", stopping.numberText("patience", "3", "a number"), 1, 100_000);
        }
        return new TorchTraining(optimizer, momentum, weightDecay, schedule, stepSize, gamma, clip, monitor, patience);
    }

    private static boolean isScalar(ConfigSection section, String key) {
        try {
            section.string(key, null);
            return true;
        } catch (TrackingConfigException notAScalar) {
            return false;
        }
    }

    private static <E extends Enum<E>> E choice(ConfigSection section, String key, String text, E[] values) {
        for (E value : values) {
            if (value.name().equalsIgnoreCase(text.trim())) {
                return value;
            }
        }
        throw section.error(key, "'" + text + "' is not one of " + Arrays.stream(values)
                .map(value -> value.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))
                + "; expected one of them");
    }

    private static long whole(ConfigSection section, String key, String text, long min, long max) {
        long value;
        try {
            value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw section.error(key, "'" + text + "' is not a whole number; expected an integer from " + min + " to "
                    + max);
        }
        if (value < min || value > max) {
            throw section.error(key, value + " is out of range; expected an integer from " + min + " to " + max);
        }
        return value;
    }

    private static double decimal(ConfigSection section, String key, String text) {
        try {
            double value = Double.parseDouble(text.trim());
            if (Double.isFinite(value) && !text.trim().matches("(?i).*[xp].*")) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw section.error(key, "'" + text + "' is not a finite decimal number; expected e.g. 0.1");
    }
}
