package de.monticore.mlpipelines.generator;

import java.nio.file.Path;

/**
 * What {@link TrainingScriptGenerator#generate} wrote.
 *
 * @param directory    {@code <out>/<experiment>}: runs on its own with {@code python train.py}
 * @param script       {@code train.py}
 * @param requirements {@code requirements.txt}
 */
public record GeneratedExperiment(Path directory, Path script, Path requirements) {
}
