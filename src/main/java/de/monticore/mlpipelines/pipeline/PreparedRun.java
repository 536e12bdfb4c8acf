package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.generator.ExperimentSpec;
import de.monticore.mlpipelines.generator.GeneratedExperiment;
import de.monticore.mlpipelines.generator.TrainingScriptGenerator;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A pipeline run ready to launch: the script generated into a directory of this run alone
 * ({@link TrainingScriptGenerator#generateRun}) and the job that trains it with every hyperparameter
 * given as an option. What {@code mlpipelines run} launches, and what every trial of a sweep launches,
 * so that a trial is exactly a run with the trial's values as overrides.
 *
 * @param experiment the validated experiment (overrides applied)
 * @param generated  where its script went
 * @param job        what the launcher runs and logs
 * @param generation how long generating took
 */
public record PreparedRun(ExperimentSpec experiment, GeneratedExperiment generated, TrainingJob job,
                          Duration generation) {

    /**
     * Generates the script of one run and builds its job.
     *
     * @param experimentFile the file the experiment came from; logged as an artifact of the run
     * @throws de.monticore.mlpipelines.generator.GenerationException when the script cannot be written
     */
    public static PreparedRun prepare(ExperimentSpec experiment, Path experimentFile, TrackingConfig tracking,
                                      Path out) {
        long start = System.nanoTime();
        GeneratedExperiment generated = new TrainingScriptGenerator().generateRun(experiment, tracking, out);
        Duration generation = Duration.ofNanos(System.nanoTime() - start);
        TrainingJob job = new TrainingJob(generated.script(), experimentFile, experiment.hyperparameters(),
                TrainingScriptGenerator.scriptOptions(experiment), TrainingScriptGenerator.PARAMS_LOGGED_OPTION,
                TrainingScriptGenerator.scriptTags(experiment),
                experiment.pytorch() == null ? 1 : experiment.pytorch().processes());
        return new PreparedRun(experiment, generated, job, generation);
    }

    /** The run's metric journal, beside its script (written when any backend is enabled). */
    public Path journal() {
        return generated.directory().resolve(JournalRecovery.JOURNAL_FILE);
    }
}
