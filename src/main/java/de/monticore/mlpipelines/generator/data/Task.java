package de.monticore.mlpipelines.generator.data;

import java.util.List;
import java.util.Locale;

/**
 * What the model learns, decided from the data: classes (cross-entropy loss, accuracy) or a number
 * (mean squared error loss, mean absolute error). The metric names are those the training module
 * ({@code mlpipelines/training/loop.py}, {@code EPOCH_METRICS}) logs per epoch; a test checks they agree.
 */
public enum Task {
    CLASSIFICATION(List.of("train_epoch_loss", "train_epoch_accuracy", "val_loss", "val_accuracy")),
    REGRESSION(List.of("train_epoch_loss", "train_epoch_mae", "val_loss", "val_mae"));

    private final List<String> epochMetrics;

    Task(List<String> epochMetrics) {
        this.epochMetrics = epochMetrics;
    }

    /** The name used in experiment.yaml and the script. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The metrics logged once per epoch; early stopping may monitor any of them. */
    public List<String> epochMetrics() {
        return epochMetrics;
    }
}
