package de.monticore.mlpipelines.generator.sweep;

import de.monticore.mlpipelines.tracking.config.TrackingConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SweepLoaderTest {
    private static final String EXPERIMENT = """
            name: digits
            model: {type: mlp, hidden_sizes: [16], activation: relu}
            dataset: digits
            training: {epochs: 2, batch_size: 32, learning_rate: 0.1, seed: 1, validation_split: 0.2}
            """;

    private static SweepPlan parse(String sweep, Map<String, String> overrides) {
        return new SweepLoader(name -> null).parse(EXPERIMENT + sweep, "exp.yaml", overrides);
    }

    private static SweepPlan parse(String sweep) {
        return parse(sweep, Map.of());
    }

    private static String error(String sweep) {
        return assertThrows(TrackingConfigException.class, () -> parse(sweep)).getMessage();
    }

    private static List<String> values(SweepPlan plan) {
        return plan.trials().stream().map(trial -> trial.overrides().toString()).collect(Collectors.toList());
    }

    @Test
    void aGridIsEveryCombinationTheFirstParameterSlowest() {
        SweepPlan plan = parse("""
                sweep:
                  objective: {metric: val_loss, goal: minimize}
                  parameters:
                    training.learning_rate: [0.05, 0.2]
                    training.batch_size: {values: [16, 64]}
                """);
        assertEquals(List.of("{training.learning_rate=0.05, training.batch_size=16}",
                "{training.learning_rate=0.05, training.batch_size=64}",
                "{training.learning_rate=0.2, training.batch_size=16}",
                "{training.learning_rate=0.2, training.batch_size=64}"), values(plan));
        assertEquals(4, plan.spec().trials());
        Trial third = plan.trials().get(2);
        assertEquals(3, third.number());
        assertEquals(0.2, third.experiment().training().learningRate());
        assertEquals(16, third.experiment().training().batchSize());
        assertEquals(Map.of("training.learning_rate", "0.2", "training.batch_size", "16"), third.loggedValues());
        assertEquals(new SweepSpec.Objective("val_loss", SweepSpec.Goal.MINIMIZE, SweepSpec.Aggregate.LAST),
                plan.spec().objective());
    }

    @Test
    void overridesApplyToEveryTrialAndListValuesAreYamlText() {
        SweepPlan plan = parse("""
                sweep:
                  objective: {metric: val_accuracy, goal: maximize, value: best}
                  parameters:
                    model.hidden_sizes: ["[8]", "[32, 16]"]
                """, Map.of("training.epochs", "5"));
        assertEquals(List.of(List.of(8), List.of(32, 16)), plan.trials().stream()
                .map(trial -> trial.experiment().model().hiddenSizes()).toList());
        assertTrue(plan.trials().stream().allMatch(trial -> trial.experiment().training().epochs() == 5));
        assertEquals("32,16", plan.trials().get(1).loggedValues().get("model.hidden_sizes"));
        assertEquals(5, plan.experiment().training().epochs());
    }

    private static final String RANDOM = """
            sweep:
              strategy: random
              trials: 20
              seed: %d
              objective: {metric: val_loss, goal: minimize}
              parameters:
                training.learning_rate: {low: 0.001, high: 0.5, scale: log}
                training.epochs: {low: 1, high: 4}
                training.batch_size: [16, 32, 64]
            """;

    @Test
    void aSeededRandomSweepDrawsTheSameTrialsAndAnotherSeedOthers() {
        List<String> first = values(parse(RANDOM.formatted(7)));
        assertEquals(first, values(parse(RANDOM.formatted(7))));
        assertNotEquals(first, values(parse(RANDOM.formatted(8))));
        assertEquals(20, first.size());
    }

    @Test
    void randomDrawsStayInTheirRangesWholeNumbersForWholeEnds() {
        SweepPlan plan = parse(RANDOM.formatted(3));
        for (Trial trial : plan.trials()) {
            double rate = trial.experiment().training().learningRate();
            assertTrue(rate >= 0.001 && rate <= 0.5, trial.toString());
            assertTrue(trial.overrides().get("training.epochs").matches("[1-4]"), trial.toString());
            assertTrue(List.of("16", "32", "64").contains(trial.overrides().get("training.batch_size")));
        }
        // Every whole number of the range is drawn, its ends included.
        assertEquals(List.of("1", "2", "3", "4"), plan.trials().stream().map(trial -> trial.overrides()
                .get("training.epochs")).distinct().sorted().toList());
        // Log-uniform: about as many draws below 0.0224 (the geometric middle) as above.
        long low = plan.trials().stream().filter(trial -> trial.experiment().training().learningRate() < 0.0224).count();
        assertTrue(low >= 4 && low <= 16, "draws below the geometric middle: " + low);
    }

    @Test
    void drawsKeepSixSignificantDigitsAndTheEnds() {
        SweepSpec.Range range = new SweepSpec.Range(0.001, 0.5, false, true);
        assertEquals("0.001", SweepLoader.draw(range, 0.0));
        assertTrue(SweepLoader.draw(range, 0.5).matches("0\\.0223\\d{3}"), SweepLoader.draw(range, 0.5));
        SweepSpec.Range whole = new SweepSpec.Range(2, 5, true, false);
        assertEquals("2", SweepLoader.draw(whole, 0.0));
        assertEquals("5", SweepLoader.draw(whole, 0.999999));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "training.lr: [0.1]|exp.yaml: sweep.parameters.training.lr: unknown key path; expected one of model.type, "
                + "model.hidden_sizes, model.activation, dataset, training.epochs, training.batch_size, "
                + "training.learning_rate, training.seed, training.validation_split",
        "name: [a, b]|exp.yaml: sweep.parameters.name: unknown key path; expected one of model.type",
        "training.learning_rate: []|exp.yaml: sweep.parameters.training.learning_rate: is empty; expected at least one value",
        "training.learning_rate: {values: []}|exp.yaml: sweep.parameters.training.learning_rate.values: is empty",
        "training.learning_rate: [0.1, -1]|exp.yaml: sweep.parameters.training.learning_rate: the value -1 (trial 2) "
                + "is refused: is -1.0; expected a number greater than 0",
        "training.epochs: [2, ten]|exp.yaml: sweep.parameters.training.epochs: the value ten (trial 2) is refused: "
                + "'ten' is a string; expected a number",
        "training.learning_rate: {low: 0.1, high: 0.5}|exp.yaml: sweep.parameters.training.learning_rate: a range has "
                + "no grid points; expected values (a list) for strategy grid, or strategy random",
        "training.learning_rate: {values: [0.1], low: 0.1}|exp.yaml: sweep.parameters.training.learning_rate.low: "
                + "does not go with values",
        "training.learning_rate: 0.1|exp.yaml: sweep.parameters.training.learning_rate: expected a list of values",
        "model.type: [softmax_regression]|exp.yaml: model.hidden_sizes: only applies to type mlp; a "
                + "softmax_regression has no hidden layers (with the values of sweep trial 1: model.type=softmax_regression)",
    })
    void badGridsNameTheKeyPath(String parameter, String message) {
        String text = error("sweep:\n  objective: {metric: val_loss, goal: minimize}\n  parameters:\n    " + parameter
                + "\n");
        assertTrue(text.startsWith(message), text);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{low: 0.5, high: 0.01}|exp.yaml: sweep.parameters.training.learning_rate: low 0.5 is greater than high 0.01; "
                + "expected low <= high",
        "{low: 0, high: 0.5, scale: log}|exp.yaml: sweep.parameters.training.learning_rate.low: 0 is not above 0; "
                + "a log scale needs low > 0",
        "{low: 0.1, high: 0.5, scale: cubic}|exp.yaml: sweep.parameters.training.learning_rate.scale: 'cubic' is not "
                + "a scale; expected linear or log",
        "{low: 0.1}|exp.yaml: sweep.parameters.training.learning_rate: expected values (a list) or a range with low "
                + "and high",
        "{low: a, high: 1}|exp.yaml: sweep.parameters.training.learning_rate.low: 'a' is a string; expected a number",
    })
    void badRangesNameTheKeyPath(String range, String message) {
        String text = error("sweep:\n  strategy: random\n  trials: 3\n  objective: {metric: val_loss, goal: minimize}\n"
                + "  parameters:\n    training.learning_rate: " + range + "\n");
        assertTrue(text.startsWith(message), text);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "objective: {metric: val_los, goal: minimize}|exp.yaml: sweep.objective.metric: 'val_los' is never logged by "
                + "the training script; expected one of train_loss, epoch, train_epoch_loss, train_epoch_accuracy, "
                + "val_loss, val_accuracy",
        "objective: {metric: val_loss}|exp.yaml: sweep.objective.goal: missing; expected minimize or maximize",
        "objective: {metric: val_loss, goal: lower}|exp.yaml: sweep.objective.goal: 'lower' is not a goal; expected "
                + "one of minimize, maximize",
        "objective: {metric: val_loss, goal: minimize, value: mean}|exp.yaml: sweep.objective.value: 'mean' is not a "
                + "value to compare; expected one of last, best",
        "objective: {metric: val_loss, goal: minimize, by: x}|exp.yaml: sweep.objective.by: unknown key",
        "strategy: bayes|exp.yaml: sweep.strategy: 'bayes' is not a strategy; expected one of grid, random, tpe",
        "trials: 3|exp.yaml: sweep.trials: only applies to strategies random and tpe",
        "early_stop: 3|exp.yaml: sweep.early_stop: unknown key",
    })
    void badSweepKeysNameTheKeyPath(String line, String message) {
        String sweep = "sweep:\n  " + (line.startsWith("objective") ? "" : "objective: {metric: val_loss, goal: "
                + "minimize}\n  ") + line + "\n  parameters:\n    training.learning_rate: [0.1]\n";
        String text = error(sweep);
        assertTrue(text.startsWith(message), text);
    }

    @Test
    void aRandomSweepNeedsItsTrialsAndAnObjectiveOnlyLoggedWithValidationIsChecked() {
        assertTrue(error("sweep:\n  strategy: random\n  objective: {metric: val_loss, goal: minimize}\n  parameters:\n"
                + "    training.learning_rate: [0.1]\n").startsWith("exp.yaml: sweep.trials: missing; a random sweep "
                + "needs the number of trials, from 1 to 10000"));
        assertTrue(error("sweep:\n  objective: {metric: val_loss, goal: minimize}\n  parameters:\n"
                + "    training.validation_split: [0.2, 0]\n").startsWith("exp.yaml: sweep.objective.metric: 'val_loss' "
                + "is never logged by the training script of trial 2; expected one of train_loss, epoch, "
                + "train_epoch_loss, train_epoch_accuracy"));
        assertTrue(error("").startsWith("exp.yaml: sweep: missing; expected a mapping with parameters and objective"));
        assertTrue(error("sweep:\n  objective: {metric: val_loss, goal: minimize}\n  parameters: {}\n")
                .startsWith("exp.yaml: sweep.parameters: is empty"));
    }

    @Test
    void aSweptKeyPathGivenToSetIsAnError() {
        String text = assertThrows(TrackingConfigException.class, () -> parse("""
                sweep:
                  objective: {metric: val_loss, goal: minimize}
                  parameters:
                    training.learning_rate: [0.1]
                """, Map.of("training.learning_rate", "0.3"))).getMessage();
        assertEquals("exp.yaml: sweep.parameters.training.learning_rate: is swept, so --set training.learning_rate "
                + "has no effect; remove one of them", text);
    }

    @Test
    void aGridOfMoreThanTheLimitIsRefused() {
        String values = "[" + java.util.stream.IntStream.rangeClosed(1, 101).mapToObj(String::valueOf)
                .collect(Collectors.joining(", ")) + "]";
        String text = error("sweep:\n  objective: {metric: val_loss, goal: minimize}\n  parameters:\n"
                + "    training.epochs: " + values + "\n    training.batch_size: " + values + "\n");
        assertTrue(text.startsWith("exp.yaml: sweep.parameters: the grid has more than 10000 combinations"), text);
    }

    @Test
    void earlyStoppingIsReadWithDefaultsAndNeedsAnEpochObjective() {
        SweepPlan plan = parse("""
                sweep:
                  objective: {metric: val_accuracy, goal: maximize}
                  parameters:
                    training.learning_rate: [0.1]
                  early_stopping: {reduction_factor: 3}
                """);
        assertEquals(new SweepSpec.EarlyStopping(1, 3), plan.spec().earlyStopping());
        assertTrue(error("""
                sweep:
                  objective: {metric: train_loss, goal: minimize}
                  parameters:
                    training.learning_rate: [0.1]
                  early_stopping: {min_epochs: 2}
                """).startsWith("exp.yaml: sweep.objective.metric: 'train_loss' is logged per step, but early_stopping "
                + "compares the objective at epoch ends; expected one of epoch, train_epoch_loss"));
        assertTrue(error("""
                sweep:
                  objective: {metric: val_loss, goal: minimize}
                  parameters:
                    training.learning_rate: [0.1]
                  early_stopping: {reduction_factor: 1}
                """).startsWith("exp.yaml: sweep.early_stopping.reduction_factor: 1 is out of range; expected an "
                + "integer from 2 to 100"));
        assertTrue(error("""
                sweep:
                  objective: {metric: val_loss, goal: minimize}
                  parameters:
                    training.learning_rate: [0.1]
                  early_stopping: {patience: 3}
                """).startsWith("exp.yaml: sweep.early_stopping.patience: unknown key"));
    }

    @Test
    void rungsGrowByTheReductionFactorAndKeepAtLeastOne() {
        SweepSpec.EarlyStopping rule = new SweepSpec.EarlyStopping(2, 3);
        assertEquals(List.of(2, 6, 18, 54), java.util.stream.IntStream.rangeClosed(1, 60).filter(rule::isRung).boxed()
                .toList());
        assertEquals(List.of(1, 1, 1, 1, 1, 2, 2, 2, 3), java.util.stream.IntStream.rangeClosed(1, 9).map(rule::kept)
                .boxed().toList());
    }

    @Test
    void aTpeSweepValidatesEveryValueAndRangeEndBeforeItRuns() {
        SweepPlan plan = parse("""
                sweep:
                  strategy: tpe
                  trials: 5
                  objective: {metric: val_loss, goal: minimize}
                  parameters:
                    training.learning_rate: {low: 0.01, high: 0.5, scale: log}
                    training.batch_size: [32, 128]
                """, Map.of("training.epochs", "4"));
        assertEquals(List.of(), plan.trials());
        assertEquals(5, plan.spec().trials());
        assertEquals(Map.of("training.epochs", "4"), plan.overrides());
        assertTrue(error("""
                sweep:
                  strategy: tpe
                  trials: 5
                  objective: {metric: val_loss, goal: minimize}
                  parameters:
                    training.validation_split: {low: 0.1, high: 1.5}
                """).startsWith("exp.yaml: sweep.parameters.training.validation_split: the value 1.5 (the candidate "
                + "training.validation_split=1.5) is refused: is 1.5; expected a fraction"));
    }
}
