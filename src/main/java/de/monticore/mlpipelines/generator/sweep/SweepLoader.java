package de.monticore.mlpipelines.generator.sweep;

import de.monticore.mlpipelines.generator.ExperimentLoader;
import de.monticore.mlpipelines.generator.ExperimentSpec;
import de.monticore.mlpipelines.generator.LoggedMetrics;
import de.monticore.mlpipelines.generator.sweep.SweepSpec.Aggregate;
import de.monticore.mlpipelines.generator.sweep.SweepSpec.Goal;
import de.monticore.mlpipelines.generator.sweep.SweepSpec.Objective;
import de.monticore.mlpipelines.generator.sweep.SweepSpec.Parameter;
import de.monticore.mlpipelines.generator.sweep.SweepSpec.Range;
import de.monticore.mlpipelines.generator.sweep.SweepSpec.Strategy;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;
import de.monticore.mlpipelines.tracking.config.YamlFile;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads the {@code sweep:} section of an experiment.yaml and expands it into trials, each validated
 * exactly like {@code mlpipelines run EXPERIMENT.yaml --set KEY.PATH=VALUE…} with the trial's values,
 * so that every error (an unknown key path, an empty grid, a range with low above high, a value the
 * experiment does not accept, an objective the script never logs) is found before anything is written,
 * and names the file and the key path:
 *
 * <pre>{@code
 * sweep:
 *   strategy: grid                 # grid | random
 *   trials: 8                      # random only: how many draws
 *   seed: 1                        # random only: the same seed draws the same trials (default 0)
 *   objective:
 *     metric: val_loss             # a metric the training script logs
 *     goal: minimize               # minimize | maximize
 *     value: last                  # last | best value of the run (default last)
 *   parameters:
 *     training.learning_rate: [0.05, 0.2]               # grid points, or choices for random
 *     training.batch_size: {values: [16, 64]}
 *     training.epochs: {low: 1, high: 4}                # random only; whole numbers when both ends are
 *     training.learning_rate: {low: 0.001, high: 0.5, scale: log}   # log-uniform
 *   early_stopping:                # optional: successive halving at epoch ends
 *     min_epochs: 1                # the first rung (default 1)
 *     reduction_factor: 2          # keep the best 1/2 at each rung (default 2)
 * }</pre>
 */
public final class SweepLoader {
    /** The most trials a sweep may define. */
    public static final int MAX_TRIALS = 10_000;
    private static final Set<String> SWEEP_KEYS = Set.of("strategy", "trials", "seed", "objective", "parameters",
            "early_stopping");
    private static final Set<String> EARLY_STOPPING_KEYS = Set.of("min_epochs", "reduction_factor");
    private static final Set<String> OBJECTIVE_KEYS = Set.of("metric", "goal", "value");
    private static final Set<String> RANGE_KEYS = Set.of("low", "high", "scale");
    private static final Set<String> PARAMETER_KEYS = Set.of("values", "low", "high", "scale");
    private static final MathContext DRAWN_DIGITS = new MathContext(6);

    private final Function<String, String> environment;

    /** A loader resolving {@code ${ENV_VAR}} references with the given lookup (null when unset). */
    public SweepLoader(Function<String, String> environment) {
        this.environment = environment;
    }

    /** A loader resolving {@code ${ENV_VAR}} references from the process environment. */
    public SweepLoader() {
        this(System::getenv);
    }

    /**
     * The sweep of an experiment file, with {@code --set} overrides applied to every trial.
     *
     * @param overrides key path to value text for the experiment, as {@code --set} gives them; a swept key
     *                  path among them is an error
     * @throws TrackingConfigException naming the file, the key path and what was expected
     */
    public SweepPlan load(Path file, Map<String, String> overrides) {
        ConfigSection top = YamlFile.read(file, environment);
        ExperimentLoader experiments = new ExperimentLoader(environment);
        ExperimentSpec base = experiments.load(file, overrides);
        return plan(top, overrides, base, trialOverrides -> experiments.load(file, trialOverrides));
    }

    /** As {@link #load(Path, Map)} for YAML text; {@code name} stands for the file in messages. */
    public SweepPlan parse(String yaml, String name, Map<String, String> overrides) {
        ConfigSection top = YamlFile.parse(yaml, name, environment);
        ExperimentLoader experiments = new ExperimentLoader(environment);
        ExperimentSpec base = experiments.parse(yaml, name, overrides);
        return plan(top, overrides, base, trialOverrides -> experiments.parse(yaml, name, trialOverrides));
    }

    private SweepPlan plan(ConfigSection top, Map<String, String> overrides, ExperimentSpec base,
                           Function<Map<String, String>, ExperimentSpec> experiment) {
        if (!top.has("sweep")) {
            throw top.error("sweep", "missing; expected a mapping with parameters and objective (see the README's "
                    + "sweep section)");
        }
        SweepSpec spec = spec(top.section("sweep"));
        ConfigSection parameters = top.section("sweep").section("parameters");
        for (String keyPath : spec.keyPaths()) {
            if (overrides.containsKey(keyPath)) {
                throw parameters.error(keyPath, "is swept, so --set " + keyPath + " has no effect; remove one of them");
            }
        }
        if (spec.strategy() == Strategy.TPE) {
            // Trials are chosen while the sweep runs: every listed value and both ends of every range now.
            for (Map<String, String> candidate : candidates(spec)) {
                validate(top, parameters, spec, overrides, experiment, candidate, "the candidate "
                        + candidate.keySet().iterator().next() + "=" + candidate.values().iterator().next(), 1);
            }
            return new SweepPlan(spec, base, List.of(), overrides);
        }
        List<Map<String, String>> values = spec.strategy() == Strategy.GRID ? grid(spec) : draws(spec);
        List<Trial> trials = new ArrayList<>();
        for (Map<String, String> trialValues : values) {
            int number = trials.size() + 1;
            trials.add(new Trial(number, trialValues, validate(top, parameters, spec, overrides, experiment,
                    trialValues, "trial " + number, number)));
        }
        return new SweepPlan(spec, base, trials, overrides);
    }

    private static ExperimentSpec validate(ConfigSection top, ConfigSection parameters, SweepSpec spec,
                                           Map<String, String> overrides,
                                           Function<Map<String, String>, ExperimentSpec> experiment,
                                           Map<String, String> values, String label, int number) {
        Map<String, String> all = new LinkedHashMap<>(overrides);
        all.putAll(values);
        ExperimentSpec trialExperiment;
        try {
            trialExperiment = experiment.apply(all);
        } catch (TrackingConfigException e) {
            throw trialError(top.file(), parameters, e, label, values);
        }
        checkObjective(top.section("sweep").section("objective"), spec.objective(), trialExperiment, number);
        checkEarlyStopping(top.section("sweep"), spec, trialExperiment);
        return trialExperiment;
    }

    /** One value of one parameter at a time: each listed value and each end of each range. */
    private static List<Map<String, String>> candidates(SweepSpec spec) {
        List<Map<String, String>> candidates = new ArrayList<>();
        for (Parameter parameter : spec.parameters()) {
            List<String> values = parameter.values() != null ? parameter.values()
                    : List.of(draw(parameter.range(), 0.0), endText(parameter.range()));
            values.forEach(value -> candidates.add(Map.of(parameter.keyPath(), value)));
        }
        return candidates;
    }

    private static String endText(Range range) {
        return range.integer() ? String.valueOf((long) range.high())
                : BigDecimal.valueOf(range.high()).stripTrailingZeros().toPlainString();
    }

    private static TrackingConfigException trialError(String file, ConfigSection parameters, TrackingConfigException e,
                                                      String label, Map<String, String> values) {
        String keyPath = e.getKeyPath();
        if (values.containsKey(keyPath)) {
            return parameters.error(keyPath, "the value " + values.get(keyPath) + " (" + label + ") is refused: "
                    + e.getProblem());
        }
        return new TrackingConfigException(file, keyPath, e.getProblem() + " (with the values of sweep " + label
                + ": " + values.entrySet().stream().map(entry -> entry.getKey() + "=" + entry.getValue())
                .collect(Collectors.joining(", ")) + ")", e);
    }

    private static void checkObjective(ConfigSection section, Objective objective, ExperimentSpec experiment,
                                       int number) {
        List<String> logged = LoggedMetrics.of(experiment);
        if (!logged.contains(objective.metric())) {
            throw section.error("metric", "'" + objective.metric() + "' is never logged by the training script"
                    + (number > 1 ? " of trial " + number : "") + "; expected one of " + String.join(", ", logged));
        }
    }

    private static void checkEarlyStopping(ConfigSection sweep, SweepSpec spec, ExperimentSpec experiment) {
        if (spec.earlyStopping() != null && !LoggedMetrics.perEpoch(experiment).contains(spec.objective().metric())) {
            throw sweep.section("objective").error("metric", "'" + spec.objective().metric() + "' is logged per step, "
                    + "but early_stopping compares the objective at epoch ends; expected one of "
                    + String.join(", ", LoggedMetrics.perEpoch(experiment)));
        }
    }

    private static SweepSpec spec(ConfigSection sweep) {
        sweep.rejectUnknownKeys(SWEEP_KEYS);
        Strategy strategy = choice(sweep, "strategy", Strategy.values(), Strategy.GRID.yamlName(), "a strategy");
        if (!sweep.has("objective")) {
            throw sweep.error("objective", "missing; expected a mapping with metric (e.g. val_loss) and goal "
                    + "(minimize or maximize)");
        }
        Objective objective = objective(sweep.section("objective"));
        if (!sweep.has("parameters")) {
            throw sweep.error("parameters", "missing; expected a mapping of key paths (e.g. training.learning_rate) "
                    + "to values or ranges");
        }
        List<Parameter> parameters = parameters(sweep.section("parameters"), strategy);
        long seed = sweep.has("seed") ? wholeNumber(sweep, "seed", 0, Long.MAX_VALUE) : 0;
        int trials;
        if (strategy != Strategy.GRID) {
            if (!sweep.has("trials")) {
                throw sweep.error("trials", "missing; a " + strategy.yamlName() + " sweep needs the number of trials, "
                        + "from 1 to " + MAX_TRIALS);
            }
            trials = (int) wholeNumber(sweep, "trials", 1, MAX_TRIALS);
        } else {
            for (String key : List.of("trials", "seed")) {
                if (sweep.has(key)) {
                    throw sweep.error(key, "only applies to strategies random and tpe; a grid runs every combination");
                }
            }
            long size = 1;
            for (Parameter parameter : parameters) {
                size *= parameter.values().size();
                if (size > MAX_TRIALS) {
                    throw sweep.error("parameters", "the grid has more than " + MAX_TRIALS + " combinations; expected "
                            + "at most " + MAX_TRIALS + " (use strategy random with trials)");
                }
            }
            trials = (int) size;
        }
        SweepSpec.EarlyStopping earlyStopping = null;
        if (sweep.has("early_stopping")) {
            ConfigSection section = sweep.section("early_stopping");
            section.rejectUnknownKeys(EARLY_STOPPING_KEYS);
            int minEpochs = section.has("min_epochs") ? (int) wholeNumber(section, "min_epochs", 1, 100_000) : 1;
            int factor = section.has("reduction_factor") ? (int) wholeNumber(section, "reduction_factor", 2, 100) : 2;
            earlyStopping = new SweepSpec.EarlyStopping(minEpochs, factor);
        }
        return new SweepSpec(strategy, trials, seed, objective, parameters, earlyStopping);
    }

    private static Objective objective(ConfigSection section) {
        section.rejectUnknownKeys(OBJECTIVE_KEYS);
        String metric = section.requireString("metric").strip();
        if (!section.has("goal")) {
            throw section.error("goal", "missing; expected minimize or maximize");
        }
        Goal goal = choice(section, "goal", Goal.values(), null, "a goal");
        Aggregate value = choice(section, "value", Aggregate.values(), Aggregate.LAST.yamlName(), "a value to compare");
        return new Objective(metric, goal, value);
    }

    private static List<Parameter> parameters(ConfigSection section, Strategy strategy) {
        if (section.keys().isEmpty()) {
            throw new TrackingConfigException(section.file(), section.path(), "is empty; expected at least one key "
                    + "path (e.g. training.learning_rate) with values or a range");
        }
        List<String> sweepable = sweepableKeys();
        List<Parameter> parameters = new ArrayList<>();
        for (String keyPath : section.keys()) {
            if (!sweepable.contains(keyPath)) {
                throw section.error(keyPath, "unknown key path; expected one of " + String.join(", ", sweepable));
            }
            ConfigSection parameter;
            try {
                parameter = section.section(keyPath);
            } catch (TrackingConfigException notAMapping) {
                // The short form: a plain list of values.
                parameters.add(new Parameter(keyPath, values(section, keyPath), null));
                continue;
            }
            parameters.add(parameter(parameter, keyPath, strategy));
        }
        return parameters;
    }

    private static Parameter parameter(ConfigSection parameter, String keyPath, Strategy strategy) {
        parameter.rejectUnknownKeys(PARAMETER_KEYS);
        if (parameter.has("values")) {
            for (String key : RANGE_KEYS) {
                if (parameter.has(key)) {
                    throw parameter.error(key, "does not go with values; expected either values or a range "
                            + "(low, high, scale)");
                }
            }
            return new Parameter(keyPath, values(parameter, "values"), null);
        }
        if (!parameter.has("low") || !parameter.has("high")) {
            throw new TrackingConfigException(parameter.file(), parameter.path(), "expected values (a list) or a range "
                    + "with low and high");
        }
        if (strategy == Strategy.GRID) {
            throw new TrackingConfigException(parameter.file(), parameter.path(), "a range has no grid points; "
                    + "expected values (a list) for strategy grid, or strategy random");
        }
        String lowText = parameter.numberText("low", null, "a number").strip();
        String highText = parameter.numberText("high", null, "a number").strip();
        boolean integer = lowText.matches("-?\\d+") && highText.matches("-?\\d+");
        double low = number(parameter, "low", lowText);
        double high = number(parameter, "high", highText);
        if (low > high) {
            throw new TrackingConfigException(parameter.file(), parameter.path(), "low " + lowText
                    + " is greater than high " + highText + "; expected low <= high");
        }
        String scale = parameter.string("scale", "linear").strip().toLowerCase(Locale.ROOT);
        if (!scale.equals("linear") && !scale.equals("log")) {
            throw parameter.error("scale", "'" + scale + "' is not a scale; expected linear or log");
        }
        boolean log = scale.equals("log");
        if (log && !(low > 0)) {
            throw parameter.error("low", lowText + " is not above 0; a log scale needs low > 0");
        }
        return new Parameter(keyPath, null, new Range(low, high, integer, log));
    }

    private static List<String> values(ConfigSection section, String key) {
        List<String> values = section.scalarList(key);
        if (values.isEmpty()) {
            throw section.error(key, "is empty; expected at least one value");
        }
        return values;
    }

    /** The key paths a sweep may vary: those {@code --set} takes, except the experiment's name. */
    public static List<String> sweepableKeys() {
        return ExperimentLoader.OVERRIDABLE_KEYS.stream().filter(key -> !key.equals("name")).toList();
    }

    /** Every combination, the first parameter varying slowest. */
    private static List<Map<String, String>> grid(SweepSpec spec) {
        List<Map<String, String>> combinations = new ArrayList<>();
        combinations.add(new LinkedHashMap<>());
        for (Parameter parameter : spec.parameters()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> combination : combinations) {
                for (String value : parameter.values()) {
                    Map<String, String> extended = new LinkedHashMap<>(combination);
                    extended.put(parameter.keyPath(), value);
                    next.add(extended);
                }
            }
            combinations = next;
        }
        return combinations;
    }

    /**
     * {@code trials} draws from {@link Random} seeded with the sweep's seed (its sequence is fixed by
     * the Java specification, so a seed gives the same trials on every JVM), parameters in file order.
     */
    private static List<Map<String, String>> draws(SweepSpec spec) {
        Random random = new Random(spec.seed());
        List<Map<String, String>> draws = new ArrayList<>();
        for (int i = 0; i < spec.trials(); i++) {
            Map<String, String> values = new LinkedHashMap<>();
            for (Parameter parameter : spec.parameters()) {
                values.put(parameter.keyPath(), parameter.values() != null
                        ? parameter.values().get(random.nextInt(parameter.values().size()))
                        : draw(parameter.range(), random.nextDouble()));
            }
            draws.add(values);
        }
        return draws;
    }

    /** The value at {@code u} in [0, 1) of a range, as YAML text; floats keep 6 significant digits. */
    static String draw(Range range, double u) {
        if (range.integer()) {
            double value = range.log()
                    ? Math.exp(Math.log(range.low()) + u * (Math.log(range.high() + 1) - Math.log(range.low())))
                    : range.low() + u * (range.high() - range.low() + 1);
            long whole = (long) Math.floor(value);
            return String.valueOf(Math.max((long) range.low(), Math.min((long) range.high(), whole)));
        }
        double value = range.log()
                ? Math.exp(Math.log(range.low()) + u * (Math.log(range.high()) - Math.log(range.low())))
                : range.low() + u * (range.high() - range.low());
        double rounded = new BigDecimal(value).round(DRAWN_DIGITS).doubleValue();
        double clamped = Math.max(range.low(), Math.min(range.high(), rounded));
        return BigDecimal.valueOf(clamped).stripTrailingZeros().toPlainString();
    }

    private static double number(ConfigSection section, String key, String text) {
        try {
            double value = Double.parseDouble(text);
            if (Double.isFinite(value) && !text.matches("(?i).*[xp].*")) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw section.error(key, "'" + text + "' is not a number; expected a decimal number such as 0.1");
    }

    private static long wholeNumber(ConfigSection section, String key, long min, long max) {
        String text = section.numberText(key, "", "an integer from " + min + " to " + max).strip();
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw section.error(key, "'" + text + "' is not a whole number; expected an integer from " + min + " to "
                    + max);
        }
        if (value < min || value > max) {
            throw section.error(key, value + " is out of range; expected an integer from " + min + " to " + max);
        }
        return value;
    }

    private static <E extends Enum<E>> E choice(ConfigSection section, String key, E[] values, String defaultName,
                                                String what) {
        String text = section.string(key, defaultName);
        String valid = Arrays.stream(values).map(value -> value.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
        if (text == null) {
            throw section.error(key, "missing; expected one of " + valid);
        }
        for (E value : values) {
            if (value.name().equalsIgnoreCase(text.strip())) {
                return value;
            }
        }
        throw section.error(key, "'" + text + "' is not " + what + "; expected one of " + valid);
    }
}
