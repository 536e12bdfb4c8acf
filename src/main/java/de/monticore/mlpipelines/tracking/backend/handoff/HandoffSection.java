package de.monticore.mlpipelines.tracking.backend.handoff;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the sections of the hand-off backends with a service (W&B, Comet) share: the directory of the
 * runs' local files, the project and the mode, shown and passed to the Python half alike.
 */
public final class HandoffSection {
    /** The keys of such a section. */
    public static final Set<String> KEYS = Set.of("dir", "project", "mode");

    private HandoffSection() {
    }

    /** {@code dir}, {@code project} and {@code mode}, in tracking.yaml's documented order. */
    public static Map<String, String> settings(Path dir, String project, ServiceMode mode) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("dir", dir.toString());
        settings.put("project", project);
        settings.put("mode", mode.option());
        return settings;
    }

    /**
     * The script's options {@code <prefix>dir} (absolute, normalized), {@code <prefix>project} and
     * {@code <prefix>mode}; the prefix is the backend's, e.g. {@code wandb_}.
     */
    public static Map<String, String> pythonOptions(String prefix, Path dir, String project, ServiceMode mode) {
        return Map.of(prefix + "dir", dir.toAbsolutePath().normalize().toString(), prefix + "project", project,
                prefix + "mode", mode.option());
    }
}
