package de.monticore.mlpipelines.tracking;

/**
 * The one unchecked exception of the tracking layer: a backend could not do what it was asked
 * (server unreachable, file not writable, bad configuration). Messages say what was attempted and
 * what went wrong; they never contain a credential.
 */
public class TrackingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrackingException(String message) {
        super(message);
    }

    public TrackingException(String message, Throwable cause) {
        super(message, cause);
    }
}
