package de.monticore.mlpipelines.tracking;

import de.monticore.mlpipelines.tracking.backend.csv.CsvConfig;
import de.monticore.mlpipelines.tracking.backend.csv.CsvTracker;
import de.monticore.mlpipelines.tracking.backend.comet.CometConfig;
import de.monticore.mlpipelines.tracking.backend.comet.CometTracker;
import de.monticore.mlpipelines.tracking.backend.dvclive.DvcLiveConfig;
import de.monticore.mlpipelines.tracking.backend.dvclive.DvcLiveTracker;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowConfig;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowTracker;
import de.monticore.mlpipelines.tracking.backend.stdout.StdOutConfig;
import de.monticore.mlpipelines.tracking.backend.stdout.StdOutTracker;
import de.monticore.mlpipelines.tracking.backend.tensorboard.TensorBoardConfig;
import de.monticore.mlpipelines.tracking.backend.tensorboard.TensorBoardTracker;
import de.monticore.mlpipelines.tracking.backend.wandb.WandbConfig;
import de.monticore.mlpipelines.tracking.backend.wandb.WandbTracker;
import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.util.Set;
import java.util.function.Function;

/**
 * The built-in backends, by the names users write in tracking.yaml and {@code --tracking_backends}.
 * Each constant knows how to read its configuration and build its tracker, so adding a backend is
 * one tracker class, one config record and one constant here; the Python half registers itself
 * under the same name.
 */
public enum TrackingBackend {
    STDOUT(StdOutTracker.class, StdOutConfig.KEYS, StdOutConfig::fromSection, StdOutTracker::new),
    MLFLOW(MLflowTracker.class, MLflowConfig.KEYS, MLflowConfig::fromSection, MLflowTracker::new),
    CSV(CsvTracker.class, CsvConfig.KEYS, CsvConfig::fromSection, CsvTracker::new),
    TENSORBOARD(TensorBoardTracker.class, TensorBoardConfig.KEYS, TensorBoardConfig::fromSection,
            TensorBoardTracker::new),
    WANDB(WandbTracker.class, WandbConfig.KEYS, WandbConfig::fromSection, WandbTracker::new),
    COMET(CometTracker.class, CometConfig.KEYS, CometConfig::fromSection, CometTracker::new),
    DVCLIVE(DvcLiveTracker.class, DvcLiveConfig.KEYS, DvcLiveConfig::fromSection, DvcLiveTracker::new);

    private final TrackingBackendProvider<?> provider;

    <C extends BackendConfig> TrackingBackend(Class<? extends RunTracker> trackerClass, Set<String> configKeys,
                                              Function<ConfigSection, C> parser, Function<C, RunTracker> factory) {
        this.provider = new BackendDefinition<>(name(), trackerClass, configKeys, parser, factory);
    }

    /** This backend as a provider, the form the registry and the factory work with. */
    public TrackingBackendProvider<?> provider() {
        return provider;
    }
}
