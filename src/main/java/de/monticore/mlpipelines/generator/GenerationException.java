package de.monticore.mlpipelines.generator;

/**
 * The generator could not write its output (an unwritable directory, a runtime missing from the
 * jar, a template error). The message says what and where; nothing half-written is left behind.
 */
public class GenerationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error with a message that names what could not be done and where. */
    public GenerationException(String message) {
        super(message);
    }

    /** An error caused by another, typically an {@link java.io.IOException}. */
    public GenerationException(String message, Throwable cause) {
        super(message, cause);
    }
}
