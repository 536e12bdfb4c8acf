package de.monticore.mlpipelines.tracking.backend.handoff;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.config.ConfigSection;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Whether a backend whose service has no Java API talks to its service ({@code online}) or only
 * writes files that are uploaded later ({@code offline}). {@code auto}, the default, is online
 * exactly when the backend's credential variable is set in the environment: credentials come from
 * the environment only, never from tracking.yaml or argv. The Python half holds the same rule
 * ({@code mlpipelines.tracking.handoff.resolve_mode}); a contract test checks that they agree.
 */
public enum ServiceMode {
    AUTO, OFFLINE, ONLINE;

    /** The value as written in tracking.yaml and passed to the Python half: {@code auto}, {@code offline}, {@code online}. */
    public String option() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The mode under {@code key} ({@code auto} when absent), case-insensitive.
     *
     * @throws de.monticore.mlpipelines.tracking.config.TrackingConfigException naming the key and the choices
     */
    public static ServiceMode parse(ConfigSection section, String key) {
        String value = section.string(key, AUTO.option());
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw section.error(key, "'" + value + "' is not a mode; expected one of " + choices());
        }
    }

    /**
     * The mode a run uses: {@code auto} becomes online when {@code credentialVariable} has a non-blank
     * value in {@code environment}, offline otherwise; offline and online stay.
     *
     * @param backend names the backend in the error
     * @throws TrackingException for {@code online} without the credential variable
     */
    public ServiceMode resolve(String backend, String credentialVariable, Map<String, String> environment) {
        String credential = environment.get(credentialVariable);
        boolean present = credential != null && !credential.isBlank();
        return switch (this) {
            case AUTO -> present ? ONLINE : OFFLINE;
            case OFFLINE -> OFFLINE;
            case ONLINE -> {
                if (!present) {
                    throw new TrackingException(backend + ": mode online needs " + credentialVariable
                            + " in the environment (credentials are taken from the environment only)");
                }
                yield ONLINE;
            }
        };
    }

    private static String choices() {
        return Arrays.stream(values()).map(ServiceMode::option).collect(Collectors.joining(", "));
    }
}
