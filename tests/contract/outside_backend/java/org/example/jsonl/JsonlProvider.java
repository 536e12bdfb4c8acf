package org.example.jsonl;

import de.monticore.mlpipelines.tracking.TrackingBackendProvider;
import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The JSONL backend's Java half, as a backend from outside the source tree provides it: listed in
 * {@code META-INF/services/de.monticore.mlpipelines.tracking.TrackingBackendProvider} of its jar.
 */
public final class JsonlProvider implements TrackingBackendProvider<JsonlProvider.Config> {

    /** {@code backends.jsonl}: the directory that holds one sub-directory per run. */
    public record Config(Path dir) implements BackendConfig {
        @Override
        public Map<String, String> settings() {
            return Map.of("dir", dir.toString());
        }

        /** {@code jsonl_dir}, absolute, so that it means the same from the script's directory. */
        @Override
        public Map<String, String> pythonOptions() {
            return Map.of("jsonl_dir", dir.toAbsolutePath().normalize().toString());
        }
    }

    @Override
    public String name() {
        return "JSONL";
    }

    @Override
    public Class<? extends RunTracker> trackerClass() {
        return JsonlTracker.class;
    }

    @Override
    public Set<String> configKeys() {
        return Set.of("dir");
    }

    @Override
    public Config parseConfig(ConfigSection section) {
        String dir = section.string("dir", "runs/jsonl");
        if (dir.isBlank()) {
            throw section.error("dir", "is empty; expected a directory path");
        }
        return new Config(Path.of(dir));
    }

    @Override
    public RunTracker createTracker(Config config) {
        return new JsonlTracker(config);
    }
}
