package de.monticore.mlpipelines.tracking.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Reads a file-system path from a configuration section. */
public final class PathSetting {
    private PathSetting() {
    }

    /**
     * The path under {@code key}, or {@code defaultValue} when the key is absent.
     *
     * @throws TrackingConfigException naming the key when the value is empty or not a valid path
     */
    public static Path parse(ConfigSection section, String key, String defaultValue) {
        String value = section.string(key, defaultValue);
        if (value.isBlank()) {
            throw section.error(key, "is empty; expected a directory path");
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw section.error(key, "'" + value + "' is not a valid path: " + e.getReason());
        }
    }
}
