package de.monticore.mlpipelines.generator.sweep;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The validated {@code sweep:} section of an experiment.yaml: which hyperparameters vary, how trials
 * are chosen and what makes one trial better than another. Built by {@link SweepLoader}.
 *
 * @param strategy   how the trials' values are chosen
 * @param trials     how many trials a random sweep draws; for a grid the number of combinations
 * @param seed       seeds a random sweep's draws: the same seed gives the same trials
 * @param objective  the metric compared between trials
 * @param parameters    the swept key paths, in file order
 * @param earlyStopping stops weak trials at epoch ends; null for none
 */
public record SweepSpec(Strategy strategy, int trials, long seed, Objective objective, List<Parameter> parameters,
                        EarlyStopping earlyStopping) {
    public SweepSpec {
        parameters = List.copyOf(parameters);
    }

    /** How a sweep chooses its trials. */
    public enum Strategy {
        /** Every combination of the parameters' values, the first parameter varying slowest. */
        GRID,
        /** {@code trials} independent draws, each parameter drawn uniformly from its values or range. */
        RANDOM,
        /**
         * {@code trials} chosen one after another by Optuna's TPE sampler (ask-and-tell) from the objectives
         * of the trials before; needs the {@code optuna} Python package.
         */
        TPE;

        /** The name used in experiment.yaml. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Whether a smaller or a larger objective is better. */
    public enum Goal {
        MINIMIZE, MAXIMIZE;

        /** The name used in experiment.yaml. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * True when {@code candidate} is better than {@code incumbent}; NaN is never better, and
         * anything but NaN is better than NaN.
         */
        public boolean better(double candidate, double incumbent) {
            if (Double.isNaN(candidate)) {
                return false;
            }
            if (Double.isNaN(incumbent)) {
                return true;
            }
            return this == MINIMIZE ? candidate < incumbent : candidate > incumbent;
        }
    }

    /** Which of a run's values of the objective metric counts. */
    public enum Aggregate {
        /** The value logged last (the end of training). */
        LAST,
        /** The best value over the whole run, by the goal. */
        BEST;

        /** The name used in experiment.yaml. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The metric trials are compared by.
     *
     * @param metric the metric key the training script logs ({@code val_loss})
     * @param goal   minimize or maximize
     * @param value  the last or the best of the run's values
     */
    public record Objective(String metric, Goal goal, Aggregate value) {
        /** {@code val_loss (minimize, last value)}. */
        public String describe() {
            return metric + " (" + goal.yamlName() + ", " + value.yamlName() + " value)";
        }
    }

    /**
     * A uniform range of numbers.
     *
     * @param low     the smallest value, included
     * @param high    the largest value, included
     * @param integer whole numbers only (when both ends are written as whole numbers)
     * @param log     uniform in the logarithm (log-uniform) instead of the value; needs {@code low > 0}
     */
    public record Range(double low, double high, boolean integer, boolean log) {
        /** {@code log-uniform float from 0.001 to 0.5}. */
        public String describe() {
            return (log ? "log-uniform " : "uniform ") + (integer ? "integer" : "float") + " from "
                    + text(low) + " to " + text(high);
        }

        private String text(double value) {
            return integer ? String.valueOf((long) value) : String.valueOf(value);
        }
    }

    /**
     * One swept hyperparameter.
     *
     * @param keyPath the key path in experiment.yaml, as {@code --set} takes it ({@code training.learning_rate})
     * @param values  the values as YAML text (grid points, or choices for a random sweep); null for a range
     * @param range   the range a random sweep draws from; null for values
     */
    public record Parameter(String keyPath, List<String> values, Range range) {
        public Parameter {
            values = values == null ? null : List.copyOf(values);
        }

        /** {@code [0.05, 0.2]} or the range's description. */
        public String describe() {
            return values != null ? "[" + String.join(", ", values) + "]" : range.describe();
        }
    }

    /**
     * Successive halving at epoch ends: when a trial has trained {@code minEpochs}, {@code minEpochs *
     * reductionFactor}, {@code minEpochs * reductionFactor^2}, … epochs (a rung), its objective so far is
     * compared with that of every trial that reached the same rung before it, itself included; unless it is
     * among the best {@code max(1, n / reductionFactor)} of those n, it is stopped (its run ends KILLED with
     * a failure reason saying so).
     *
     * @param minEpochs       the first rung, {@code >= 1}
     * @param reductionFactor the rungs' growth and the fraction kept, {@code >= 2}
     */
    public record EarlyStopping(int minEpochs, int reductionFactor) {
        /** True when a trial that trained {@code epoch} epochs is at a rung. */
        public boolean isRung(int epoch) {
            long rung = minEpochs;
            while (rung < epoch) {
                rung *= reductionFactor;
            }
            return rung == epoch;
        }

        /** How many of {@code n} trials at a rung go on. */
        public int kept(int n) {
            return Math.max(1, n / reductionFactor);
        }

        /** {@code successive halving from epoch 1, keeping 1/2 at each rung}. */
        public String describe() {
            return "successive halving from epoch " + minEpochs + ", keeping 1/" + reductionFactor + " at each rung";
        }
    }

    /** The definition in a few lines: strategy, objective, each parameter. */
    public List<String> describe() {
        List<String> lines = new java.util.ArrayList<>();
        lines.add("strategy: " + strategy.yamlName() + (strategy != Strategy.GRID ? " (" + trials
                + " trials, seed " + seed + ")" : " (" + trials + " trials)"));
        lines.add("objective: " + objective.describe());
        parameters.forEach(parameter -> lines.add("parameter " + parameter.keyPath() + ": " + parameter.describe()));
        if (earlyStopping != null) {
            lines.add("early stopping: " + earlyStopping.describe());
        }
        return lines;
    }

    /** The swept key paths, in order. */
    public List<String> keyPaths() {
        return parameters.stream().map(Parameter::keyPath).collect(Collectors.toList());
    }
}
