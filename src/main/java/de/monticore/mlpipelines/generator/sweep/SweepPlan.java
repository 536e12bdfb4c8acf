package de.monticore.mlpipelines.generator.sweep;

import de.monticore.mlpipelines.generator.ExperimentSpec;

import java.util.List;
import java.util.Map;

/**
 * A validated sweep, expanded: its definition, the experiment without the sweep's values and every trial.
 *
 * @param spec       the {@code sweep:} section
 * @param experiment the experiment as {@code run} would train it (the file with the {@code --set} overrides)
 * @param trials     the trials, numbered from 1, each validated; empty for strategy tpe, whose trials are
 *                   chosen while the sweep runs (every listed value and range end was validated)
 * @param overrides  the {@code --set} overrides, applied to every trial
 */
public record SweepPlan(SweepSpec spec, ExperimentSpec experiment, List<Trial> trials, Map<String, String> overrides) {
    public SweepPlan {
        trials = List.copyOf(trials);
        overrides = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(overrides));
    }
}
