package de.monticore.mlpipelines.cli;

/** Bad command-line usage: the message says what is wrong; the command's usage is printed with it. */
public class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
