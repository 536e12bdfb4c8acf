package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer;
import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.PathSetting;
import de.monticore.mlpipelines.tracking.secret.Secrets;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code backends.mlflow}.
 *
 * @param experimentName the MLflow experiment runs go into (created when missing)
 * @param trackingUri    an http(s) server, or a local store ({@code sqlite:///…}, a directory) for which
 *                       a local server is started
 * @param cleanUp        runs of the experiment in these states are deleted by {@code cleanUpRepository()}
 * @param spoolDir       where the Python half keeps what it cannot deliver (replayed by {@code mlpipelines replay})
 * @param serverIdleTimeout for a local store: how long its server stays up after the last pipeline, for the
 *                       next one; null when tracking.yaml does not say (then the environment or 10 minutes,
 *                       {@link LocalMLflowServer.Settings#effectiveIdleTimeout()})
 * @param systemMetrics  whether the Python half logs MLflow's system metrics (CPU, memory, disk, network;
 *                       {@code system/…}) into the run while it trains, every {@value #SYSTEM_METRICS_INTERVAL} s
 */
public record MLflowConfig(String experimentName, String trackingUri, Set<RunStatus> cleanUp, Path spoolDir,
                           Duration serverIdleTimeout, boolean systemMetrics)
        implements BackendConfig {
    /** The keys of the {@code mlflow} section. */
    public static final Set<String> KEYS = Set.of("experiment_name", "tracking_uri", "clean_up", "spool_dir",
            "server_idle_timeout", "system_metrics");
    /** Seconds between two samples of system metrics, when they are on. */
    public static final int SYSTEM_METRICS_INTERVAL = 10;
    /** {@code spool_dir} when tracking.yaml does not set it; relative to the working directory. */
    public static final String DEFAULT_SPOOL_DIR = "mlflow-spool";

    public MLflowConfig {
        cleanUp = cleanUp.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(cleanUp));
    }

    /** A configuration with the default {@code spool_dir}. */
    public MLflowConfig(String experimentName, String trackingUri, Set<RunStatus> cleanUp) {
        this(experimentName, trackingUri, cleanUp, Path.of(DEFAULT_SPOOL_DIR));
    }

    /** A configuration that leaves the server's idle timeout to the environment, without system metrics. */
    public MLflowConfig(String experimentName, String trackingUri, Set<RunStatus> cleanUp, Path spoolDir) {
        this(experimentName, trackingUri, cleanUp, spoolDir, null, false);
    }

    public static MLflowConfig fromSection(ConfigSection section) {
        String experimentName = section.string("experiment_name", "default");
        if (experimentName.isBlank()) {
            throw section.error("experiment_name", "is empty; expected an experiment name");
        }
        String trackingUri = section.string("tracking_uri", "sqlite:///mlflow.db");
        checkTrackingUri(section, trackingUri);
        Set<RunStatus> cleanUp = EnumSet.noneOf(RunStatus.class);
        cleanUp.addAll(section.enumList("clean_up", RunStatus.class, "a run status"));
        Path spoolDir = PathSetting.parse(section, "spool_dir", DEFAULT_SPOOL_DIR);
        return new MLflowConfig(experimentName, trackingUri, cleanUp, spoolDir, idleTimeout(section),
                systemMetrics(section));
    }

    private static boolean systemMetrics(ConfigSection section) {
        return section.bool("system_metrics", false);
    }

    private static Duration idleTimeout(ConfigSection section) {
        String value = section.numberText("server_idle_timeout", null, "a whole number of seconds >= 0 (0 stops "
                + "the local server when the last pipeline ends)");
        if (value == null) {
            return null;
        }
        try {
            long seconds = Long.parseLong(value.strip());
            if (seconds >= 0) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException notANumber) {
            // Reported below.
        }
        throw section.error("server_idle_timeout", "'" + value + "' is not a number of seconds; expected a whole "
                + "number >= 0 (0 stops the local server when the last pipeline ends)");
    }

    /** The local server's settings: {@code base} with this configuration's idle timeout, when it sets one. */
    public LocalMLflowServer.Settings serverSettings(LocalMLflowServer.Settings base) {
        return serverIdleTimeout == null ? base : base.withIdleTimeout(serverIdleTimeout);
    }

    private static final String URI_FORMS = "expected http(s)://HOST[:PORT][/PATH], sqlite:///FILE, file:///DIR "
            + "or a directory path";

    /**
     * Refuses, before anything is written, a tracking URI that would fail only once the run has begun:
     * credentials in it (they belong in the environment, never in a file or on a command line), a scheme
     * MLflow is not served with here, a server URL without a host or with a port outside 1..65535, a
     * local store path that is not one. The message never quotes the URI, which may hold a password.
     */
    private static void checkTrackingUri(ConfigSection section, String trackingUri) {
        String key = "tracking_uri";
        if (trackingUri.isBlank()) {
            throw section.error(key, "is empty; " + URI_FORMS);
        }
        if (LocalStore.isServerUrl(trackingUri)) {
            URI uri;
            try {
                uri = new URI(trackingUri.strip());
            } catch (URISyntaxException e) {
                throw section.error(key, "is not a valid URL (" + e.getReason() + " at index " + e.getIndex() + "); "
                        + URI_FORMS);
            }
            if (uri.getRawUserInfo() != null || (uri.getRawAuthority() != null && uri.getRawAuthority().contains("@"))) {
                throw section.error(key, "holds credentials (USER:PASSWORD@); remove them and set "
                        + "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, "
                        + "in the environment");
            }
            String authority = uri.getRawAuthority();
            if (authority == null || authority.isBlank() || authority.startsWith(":")) {
                throw section.error(key, "names no host; " + URI_FORMS);
            }
            java.util.regex.Matcher port = java.util.regex.Pattern.compile(":([^:\\]]*)$").matcher(authority);
            if (port.find() && !port.group(1).isEmpty()) {
                String digits = port.group(1);
                if (!digits.matches("\\d+")) {
                    throw section.error(key, "port '" + digits + "' is not a number; expected a port from 1 to 65535");
                }
                long number = digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
                if (number < 1 || number > 65535) {
                    throw section.error(key, "port '" + digits + "' is out of range; expected a port from 1 to 65535");
                }
            }
            if (uri.getHost() == null) {
                throw section.error(key, "'" + authority + "' is not a valid host; " + URI_FORMS);
            }
            return;
        }
        if (Secrets.looksSecret(trackingUri)) {
            throw section.error(key, "holds credentials (USER:PASSWORD@); remove them and set "
                    + "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, in the environment");
        }
        try {
            LocalStore.parse(trackingUri);
        } catch (TrackingException e) {
            String scheme = trackingUri.strip().replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*):.*$", "$1");
            if (scheme.equalsIgnoreCase("sqlite") || scheme.equalsIgnoreCase("file")) {
                throw section.error(key, "is not a valid " + scheme + " store URI; " + URI_FORMS);
            }
            if (!scheme.equals(trackingUri.strip())) {
                throw section.error(key, "the scheme '" + scheme + "' is not supported; " + URI_FORMS);
            }
            throw section.error(key, "is not a valid local store path; " + URI_FORMS);
        }
    }

    @Override
    public Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("experiment_name", experimentName);
        settings.put("tracking_uri", trackingUri);
        settings.put("clean_up", cleanUp.stream().sorted().map(Enum::name).collect(Collectors.joining(", ", "[", "]")));
        settings.put("spool_dir", spoolDir.toString());
        settings.put("server_idle_timeout", serverIdleTimeout != null ? Long.toString(serverIdleTimeout.toSeconds())
                : "$" + LocalMLflowServer.Settings.IDLE_TIMEOUT_VARIABLE + " or "
                + LocalMLflowServer.Settings.DEFAULT_IDLE_TIMEOUT.toSeconds());
        settings.put("system_metrics", Boolean.toString(systemMetrics));
        return settings;
    }

    /**
     * {@code mlflow_experiment_name}, {@code mlflow_tracking_uri}, {@code mlflow_spool_dir} and
     * {@code mlflow_system_metrics_interval} (seconds between system metric samples, 0: off): a
     * server URL as configured, a local store ({@code sqlite:///FILE}, {@code file:}, a directory) and
     * the spool directory with their paths made absolute so that they name the same places from the
     * script's directory. A URI this project cannot serve locally is passed on as written; the Python
     * backend reports it.
     */
    @Override
    public Map<String, String> pythonOptions() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("mlflow_experiment_name", experimentName);
        options.put("mlflow_tracking_uri", pythonTrackingUri());
        options.put("mlflow_spool_dir", absoluteSpoolDir().toString());
        options.put("mlflow_system_metrics_interval", Integer.toString(systemMetrics ? SYSTEM_METRICS_INTERVAL : 0));
        return options;
    }

    /** {@link #spoolDir()}, absolute and normalized. */
    public Path absoluteSpoolDir() {
        return spoolDir.toAbsolutePath().normalize();
    }

    private String pythonTrackingUri() {
        if (LocalStore.isServerUrl(trackingUri)) {
            return trackingUri.strip();
        }
        try {
            return LocalStore.parse(trackingUri).uri();
        } catch (TrackingException unsupported) {
            return trackingUri.strip();
        }
    }
}
