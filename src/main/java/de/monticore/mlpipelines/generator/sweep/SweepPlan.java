package de.monticore.mlpipelines.generator.sweep;

import de.monticore.mlpipelines.generator.ExperimentSpec;

import java.util.List;

/**
 * A validated sweep, expanded: its definition, the experiment without the sweep's values and every trial.
 *
 * @param spec       the {@code sweep:} section
 * @param experiment the experiment as {@code run} would train it (the file with the {@code --set} overrides)
 * @param trials     the trials, numbered from 1, each validated
 */
public record SweepPlan(SweepSpec spec, ExperimentSpec experiment, List<Trial> trials) {
    public SweepPlan {
        trials = List.copyOf(trials);
    }
}
