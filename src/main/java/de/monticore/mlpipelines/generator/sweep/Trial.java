package de.monticore.mlpipelines.generator.sweep;

import de.monticore.mlpipelines.generator.ExperimentSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One trial of a sweep: the experiment with the trial's values applied, validated like the file.
 *
 * @param number     1-based, in the order the sweep defines (grid order, or draw order)
 * @param overrides  key path to value text, exactly what {@code --set} would be given, in the sweep's order
 * @param experiment the experiment this trial trains
 */
public record Trial(int number, Map<String, String> overrides, ExperimentSpec experiment) {
    public Trial {
        overrides = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
    }

    /**
     * The trial's values as the run logs them as params (key path to the param text, e.g.
     * {@code training.learning_rate} to {@code 0.05}), so that tables show what was trained with.
     */
    public Map<String, String> loggedValues() {
        Map<String, String> params = experiment.hyperparameters();
        Map<String, String> values = new LinkedHashMap<>();
        overrides.forEach((keyPath, text) -> values.put(keyPath, params.getOrDefault(paramName(keyPath), text)));
        return values;
    }

    /** The param a key path is logged as: {@code model.type} as {@code model}, others by their last part. */
    public static String paramName(String keyPath) {
        if (keyPath.equals("model.type")) {
            return "model";
        }
        return keyPath.substring(keyPath.lastIndexOf('.') + 1);
    }
}
