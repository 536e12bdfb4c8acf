package de.monticore.mlpipelines.generator.model;

import java.util.Map;

/**
 * One layer as experiment.yaml lists it: its kind and its settings (whole numbers, and a
 * {@code rate} fraction for dropout); absent settings take {@link ShapeInference}'s defaults.
 *
 * @param index    position in the list, from 0, for messages
 * @param kind     what layer it is
 * @param settings the settings given, by key; already checked to be numbers in range
 */
public record LayerSpec(int index, LayerKind kind, Map<String, Double> settings) {
    public LayerSpec {
        settings = Map.copyOf(settings);
    }

    /** A whole-number setting, or the default when absent. */
    public int intSetting(String key, int defaultValue) {
        Double value = settings.get(key);
        return value == null ? defaultValue : value.intValue();
    }

    /** True when the setting is given. */
    public boolean has(String key) {
        return settings.containsKey(key);
    }

    /** {@code layer 3 (conv2d)}: how messages name this layer. */
    public String describe() {
        return "layer " + index + " (" + kind.yamlName() + ")";
    }
}
