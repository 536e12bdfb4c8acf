package de.monticore.mlpipelines.generator.data;

import de.monticore.mlpipelines.generator.model.Shape;

import java.nio.file.Path;

/**
 * Where a PyTorch experiment's examples come from, checked by {@link DataSourceParser} before
 * anything is generated: the file exists, the label column exists, and the shape of one example,
 * the task and the number of outputs are known, so that the model can be checked against them.
 *
 * @param kind           {@code sklearn}, {@code csv} or {@code npz}
 * @param name           the scikit-learn data set ({@code digits}, …), or the file name for files
 * @param layout         for digits: {@code flat} (64 features) or {@code image} (1x8x8); else {@code flat}
 * @param path           the data file, absolute; null for scikit-learn's sets
 * @param label          the CSV label column; null otherwise
 * @param validationPath a separate validation file of the same kind, absolute; null to split off a fraction
 * @param inputShape     the shape of one example
 * @param task           classification or regression
 * @param outputs        the model's outputs per example: the number of classes, or 1
 */
public record DataSource(String kind, String name, String layout, Path path, String label, Path validationPath,
                         Shape inputShape, Task task, int outputs) {

    /** How params and the console name it: {@code digits}, {@code digits_image}, {@code csv:train.csv}. */
    public String describe() {
        if (kind.equals("sklearn")) {
            return layout.equals("image") ? name + "_image" : name;
        }
        return kind + ":" + path.getFileName();
    }
}
