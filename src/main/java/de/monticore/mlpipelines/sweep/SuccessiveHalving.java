package de.monticore.mlpipelines.sweep;

import de.monticore.mlpipelines.generator.sweep.SweepSpec;
import de.monticore.mlpipelines.pipeline.MetricJournalReader;
import de.monticore.mlpipelines.pipeline.TrainingLauncher;
import de.monticore.mlpipelines.tracking.format.PythonFloat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Successive halving across a sweep's trials ({@link SweepSpec.EarlyStopping}), asynchronous as in ASHA:
 * each trial is judged when it reaches a rung, against the trials that reached that rung before it.
 * {@link Watcher}s read each running trial's metric journal at epoch ends and stop the trials judged weak.
 */
final class SuccessiveHalving {
    private final SweepSpec.EarlyStopping rule;
    private final SweepSpec.Objective objective;
    private final Map<Integer, List<Double>> rungs = new HashMap<>();

    SuccessiveHalving(SweepSpec.EarlyStopping rule, SweepSpec.Objective objective) {
        this.rule = rule;
        this.objective = objective;
    }

    /**
     * Records a trial's objective at a rung; returns why it is to stop, or null when it is among the best
     * {@code max(1, n / reductionFactor)} of the n values recorded at that rung (its own included).
     */
    synchronized String judge(int epoch, double value) {
        List<Double> values = rungs.computeIfAbsent(epoch, rung -> new ArrayList<>());
        values.add(value);
        long better = values.stream().filter(other -> objective.goal().better(other, value)).count();
        int kept = rule.kept(values.size());
        if (better < kept) {
            return null;
        }
        return "stopped early by successive halving at epoch " + epoch + ": " + objective.metric() + " "
                + PythonFloat.repr(value) + " is not among the best " + kept + " of the " + values.size()
                + " trials that reached epoch " + epoch;
    }

    /**
     * Polls one running trial's journal ({@link Runnable#run()}, called repeatedly by a scheduler): at each
     * new epoch end that is a rung before its last epoch, the trial's objective so far is judged; a trial
     * judged weak is stopped through its launcher (its run ends KILLED with the reason).
     */
    final class Watcher implements Runnable {
        private final Path journal;
        private final TrainingLauncher launcher;
        private final int epochs;
        private int judged;
        private volatile String stopped;

        Watcher(Path journal, TrainingLauncher launcher, int epochs) {
            this.journal = journal;
            this.launcher = launcher;
            this.epochs = epochs;
        }

        /** Why the trial was stopped; null when it was not. */
        String stopped() {
            return stopped;
        }

        @Override
        public synchronized void run() {
            if (stopped != null) {
                return;
            }
            Map<String, List<MetricJournalReader.Value>> logged;
            try {
                logged = MetricJournalReader.values(journal, List.of("epoch", objective.metric()));
            } catch (IOException | RuntimeException e) {
                return; // Not written yet or mid-write: the next poll sees more.
            }
            List<MetricJournalReader.Value> ends = logged.get("epoch");
            List<MetricJournalReader.Value> values = logged.get(objective.metric());
            while (judged < ends.size()) {
                MetricJournalReader.Value end = ends.get(judged);
                Double value = valueAt(values, end.step());
                if (value == null) {
                    return; // The epoch's objective is not in the journal yet.
                }
                judged++;
                int epoch = (int) end.value();
                if (epoch < epochs && rule.isRung(epoch)) {
                    String reason = judge(epoch, value);
                    if (reason != null) {
                        stopped = reason;
                        // stop() waits for the script to end: not on the scheduler's thread.
                        Thread stopper = new Thread(() -> launcher.stop(reason), "mlpipelines-sweep-halving");
                        stopper.setDaemon(true);
                        stopper.start();
                        return;
                    }
                }
            }
        }

        /** The objective at the epoch ending at {@code step}: the value logged there, or the best so far. */
        private Double valueAt(List<MetricJournalReader.Value> values, long step) {
            Double result = null;
            boolean atStep = false;
            for (MetricJournalReader.Value value : values) {
                if (value.step() > step) {
                    break;
                }
                atStep = value.step() == step;
                if (objective.value() == SweepSpec.Aggregate.LAST) {
                    result = value.value();
                } else if (result == null || objective.goal().better(value.value(), result)) {
                    result = value.value();
                }
            }
            return atStep ? result : null;
        }
    }
}
