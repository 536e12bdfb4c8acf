package de.monticore.mlpipelines.generator.model;

/** A layer that cannot follow the one before it; the loader turns it into an error at {@code model.layers[i]}. */
public final class LayerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int index;

    /**
     * @param index   the layer's position in the list, or -1 for the model as a whole
     * @param message what is wrong and what was expected
     */
    public LayerException(int index, String message) {
        super(message);
        this.index = index;
    }

    /** The layer's position in the list, or -1 for the model as a whole. */
    public int index() {
        return index;
    }
}
