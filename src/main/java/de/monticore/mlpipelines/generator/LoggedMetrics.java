package de.monticore.mlpipelines.generator;

import java.util.ArrayList;
import java.util.List;

/**
 * The metric keys a generated training script logs, in the order it first logs them: {@code train_loss}
 * per step; {@code epoch}, {@code train_epoch_loss}, {@code train_epoch_accuracy} and, with a validation
 * set ({@code training.validation_split > 0}), {@code val_loss}, {@code val_accuracy} per epoch. The
 * template ({@code TrainingScript.ftl}) is what logs them; a sweep checks its objective against this list
 * before anything is written, and the sweep's end-to-end test compares it with what a real run logged.
 */
public final class LoggedMetrics {
    private LoggedMetrics() {
    }

    /** The keys the script generated for {@code experiment} logs. */
    public static List<String> of(ExperimentSpec experiment) {
        List<String> keys = new ArrayList<>(List.of("train_loss"));
        keys.addAll(perEpoch(experiment));
        return List.copyOf(keys);
    }

    /**
     * The keys logged once per epoch, all at the epoch's last step, {@code epoch} (its number) first: the
     * metrics an epoch-end comparison may use.
     */
    public static List<String> perEpoch(ExperimentSpec experiment) {
        List<String> keys = new ArrayList<>(List.of("epoch", "train_epoch_loss", "train_epoch_accuracy"));
        if (experiment.training().validationSplit() > 0) {
            keys.addAll(List.of("val_loss", "val_accuracy"));
        }
        return List.copyOf(keys);
    }
}
