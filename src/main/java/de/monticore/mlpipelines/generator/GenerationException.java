package de.monticore.mlpipelines.generator;

/**
 * The generator could not write its output (an unwritable directory, a runtime missing from the
 * jar, a template error). The message says what and where; nothing half-written is left behind.
 */
public class GenerationException extends RuntimeException {
    public GenerationException(String message) {
        super(message);
    }

    public GenerationException(String message, Throwable cause) {
        super(message, cause);
    }
}
