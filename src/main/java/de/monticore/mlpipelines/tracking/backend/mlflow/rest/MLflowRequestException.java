package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

import de.monticore.mlpipelines.tracking.TrackingException;

/**
 * An MLflow request that failed: the server answered with an error, or could not be reached. The
 * message says what was attempted and what the server answered; it never contains a credential.
 */
public class MLflowRequestException extends TrackingException {
    private static final long serialVersionUID = 1L;

    private final int statusCode;
    private final String errorCode;

    /**
     * @param statusCode HTTP status, {@code 0} if no answer came
     * @param errorCode  MLflow's {@code error_code} (e.g. {@code RESOURCE_ALREADY_EXISTS}), or {@code null}
     */
    public MLflowRequestException(String message, int statusCode, String errorCode, Throwable cause) {
        super(message, cause);
        this.statusCode = statusCode;
        this.errorCode = errorCode;
    }

    /** HTTP status of the answer, {@code 0} if the server could not be reached. */
    public int statusCode() {
        return statusCode;
    }

    /** MLflow's error code from the answer, or {@code null}. */
    public String errorCode() {
        return errorCode;
    }

    /** True if MLflow answered with the given error code. */
    public boolean hasErrorCode(String code) {
        return code.equals(errorCode);
    }
}
