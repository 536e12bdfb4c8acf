package de.monticore.mlpipelines.tracking.config;

import de.monticore.mlpipelines.tracking.TrackingException;

/**
 * A configuration file that cannot be used. The message names the file, the key path and what was
 * expected: {@code tracking.yaml: backends.mlflow.clean_up[1]: 'DONE' is not a run status; expected
 * one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED}.
 */
public class TrackingConfigException extends TrackingException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String keyPath;
    private final String problem;

    public TrackingConfigException(String file, String keyPath, String problem) {
        this(file, keyPath, problem, null);
    }

    public TrackingConfigException(String file, String keyPath, String problem, Throwable cause) {
        super(format(file, keyPath, problem), cause);
        this.file = file;
        this.keyPath = keyPath;
        this.problem = problem;
    }

    private static String format(String file, String keyPath, String problem) {
        return keyPath == null || keyPath.isEmpty()
                ? file + ": " + problem
                : file + ": " + keyPath + ": " + problem;
    }

    /** The file as the user named it. */
    public String getFile() {
        return file;
    }

    /** The key path inside the file ({@code backends.mlflow.clean_up[1]}); empty for the whole file. */
    public String getKeyPath() {
        return keyPath;
    }

    /** What is wrong and what was expected, without file and key path. */
    public String getProblem() {
        return problem;
    }
}
