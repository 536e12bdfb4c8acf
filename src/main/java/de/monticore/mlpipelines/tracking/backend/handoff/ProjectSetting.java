package de.monticore.mlpipelines.tracking.backend.handoff;

import de.monticore.mlpipelines.tracking.config.ConfigSection;

/** Reads the project a vendor's run belongs to (W&B, Comet) from a configuration section. */
public final class ProjectSetting {
    /** Longer names are refused by W&B; Comet accepts them but they make no readable URL. */
    public static final int MAX_LENGTH = 128;
    /** Characters W&B refuses in a project name; they would also break the run's URL. */
    private static final String FORBIDDEN = "/\\#?%:";

    private ProjectSetting() {
    }

    /**
     * The project under {@code key}, or {@code defaultValue} when the key is absent.
     *
     * @throws de.monticore.mlpipelines.tracking.config.TrackingConfigException naming the key when the value is
     *         blank, longer than {@value #MAX_LENGTH} characters or holds one of {@code / \ # ? % :}
     */
    public static String parse(ConfigSection section, String key, String defaultValue) {
        String value = section.string(key, defaultValue);
        if (value.isBlank()) {
            throw section.error(key, "is empty; expected a project name");
        }
        if (value.length() > MAX_LENGTH) {
            throw section.error(key, "has " + value.length() + " characters; expected at most " + MAX_LENGTH);
        }
        for (char c : FORBIDDEN.toCharArray()) {
            if (value.indexOf(c) >= 0) {
                throw section.error(key, "'" + value + "' contains '" + c + "'; a project name may not contain "
                        + String.join(" ", FORBIDDEN.split("")));
            }
        }
        return value;
    }
}
