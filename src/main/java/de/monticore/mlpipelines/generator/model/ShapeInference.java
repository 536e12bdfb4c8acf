package de.monticore.mlpipelines.generator.model;

import de.monticore.mlpipelines.tracking.format.PythonFloat;

import java.util.ArrayList;
import java.util.List;

/**
 * Works out every layer's input and output shape from the data's input shape, so that users never
 * type a feature count: a linear layer's inputs, a convolution's channels and a batch norm's
 * features come from the layer before. A layer that cannot follow the previous one is a
 * {@link LayerException} naming its index and why.
 *
 * <p>Shapes are per example: {@code (features,)} or {@code (channels, height, width)}. The last
 * linear layer may leave out {@code units}: it gets the data's output size (classes, or 1 for
 * regression), and the model must end with exactly that shape.
 */
public final class ShapeInference {
    private ShapeInference() {
    }

    /**
     * Resolves the layers.
     *
     * @param layers  the layers as written, in order
     * @param input   the shape of one example of the data
     * @param outputs what the model must produce per example: classes, or 1 for regression
     * @throws LayerException for a layer that cannot follow the previous one, or a model whose output
     *                        does not fit the data
     */
    public static List<ResolvedLayer> resolve(List<LayerSpec> layers, Shape input, int outputs) {
        if (layers.isEmpty()) {
            throw new LayerException(-1, "the model has no layers; expected at least one linear layer");
        }
        int lastLinear = -1;
        for (LayerSpec layer : layers) {
            if (layer.kind() == LayerKind.LINEAR) {
                lastLinear = layer.index();
            }
        }
        List<ResolvedLayer> resolved = new ArrayList<>();
        Shape shape = input;
        for (LayerSpec layer : layers) {
            ResolvedLayer next = resolveOne(layer, shape, layer.index() == lastLinear ? outputs : -1);
            resolved.add(next);
            shape = next.output();
        }
        if (!shape.equals(Shape.of(outputs))) {
            throw new LayerException(-1, "the model ends with shape " + shape + " but the data needs "
                    + Shape.of(outputs) + " per example (" + (outputs == 1 ? "one regression target" : outputs
                    + " classes") + "); end with a linear layer without units");
        }
        return resolved;
    }

    private static ResolvedLayer resolveOne(LayerSpec layer, Shape in, int outputsIfLast) {
        return switch (layer.kind()) {
            case LINEAR -> {
                requireFlat(layer, in);
                int units;
                if (layer.has("units")) {
                    units = layer.intSetting("units", 0);
                } else if (outputsIfLast > 0) {
                    units = outputsIfLast;
                } else {
                    throw new LayerException(layer.index(), layer.describe() + " needs units; only the last "
                            + "linear layer takes its size from the data");
                }
                yield new ResolvedLayer(layer, in, Shape.of(units), "nn.Linear(" + in.get(0) + ", " + units + ")");
            }
            case CONV2D -> {
                requireImage(layer, in);
                if (!layer.has("filters")) {
                    throw new LayerException(layer.index(), layer.describe() + " needs filters (output channels)");
                }
                int filters = layer.intSetting("filters", 0);
                int kernel = layer.intSetting("kernel_size", 3);
                int stride = layer.intSetting("stride", 1);
                int padding = layer.intSetting("padding", 0);
                int height = window(layer, in, 1, kernel, stride, padding, "kernel " + kernel);
                int width = window(layer, in, 2, kernel, stride, padding, "kernel " + kernel);
                StringBuilder module = new StringBuilder("nn.Conv2d(" + in.get(0) + ", " + filters
                        + ", kernel_size=" + kernel);
                if (stride != 1) {
                    module.append(", stride=").append(stride);
                }
                if (padding != 0) {
                    module.append(", padding=").append(padding);
                }
                yield new ResolvedLayer(layer, in, Shape.of(filters, height, width), module.append(")").toString());
            }
            case MAX_POOL, AVG_POOL -> {
                requireImage(layer, in);
                int size = layer.intSetting("size", 2);
                int stride = layer.intSetting("stride", size);
                int height = window(layer, in, 1, size, stride, 0, "pool of " + size);
                int width = window(layer, in, 2, size, stride, 0, "pool of " + size);
                String name = layer.kind() == LayerKind.MAX_POOL ? "nn.MaxPool2d(" : "nn.AvgPool2d(";
                String module = name + "kernel_size=" + size + (stride != size ? ", stride=" + stride : "") + ")";
                yield new ResolvedLayer(layer, in, Shape.of(in.get(0), height, width), module);
            }
            case FLATTEN -> {
                if (in.size() > Integer.MAX_VALUE) {
                    throw new LayerException(layer.index(), layer.describe() + " would make " + in.size()
                            + " features from " + in + "; expected a smaller input");
                }
                yield new ResolvedLayer(layer, in, Shape.of((int) in.size()), "nn.Flatten()");
            }
            case DROPOUT -> {
                Double rate = layer.settings().get("rate");
                String module = rate == null ? "nn.Dropout()" : "nn.Dropout(p=" + PythonFloat.repr(rate) + ")";
                yield new ResolvedLayer(layer, in, in, module);
            }
            case BATCH_NORM -> {
                if (in.rank() == 1) {
                    yield new ResolvedLayer(layer, in, in, "nn.BatchNorm1d(" + in.get(0) + ")");
                }
                requireImage(layer, in);
                yield new ResolvedLayer(layer, in, in, "nn.BatchNorm2d(" + in.get(0) + ")");
            }
            case RELU -> new ResolvedLayer(layer, in, in, "nn.ReLU()");
            case GELU -> new ResolvedLayer(layer, in, in, "nn.GELU()");
            case TANH -> new ResolvedLayer(layer, in, in, "nn.Tanh()");
            case SIGMOID -> new ResolvedLayer(layer, in, in, "nn.Sigmoid()");
        };
    }

    /** The output size along one spatial dimension, or an error when the window does not fit. */
    private static int window(LayerSpec layer, Shape in, int dim, int size, int stride, int padding, String what) {
        int padded = in.get(dim) + 2 * padding;
        if (size > padded) {
            throw new LayerException(layer.index(), layer.describe() + ": a " + what + " is larger than its "
                    + in.get(1) + "x" + in.get(2) + " input" + (padding > 0 ? " (padded by " + padding + ")" : "")
                    + "; expected a size of at most " + padded);
        }
        return (padded - size) / stride + 1;
    }

    private static void requireImage(LayerSpec layer, Shape in) {
        if (in.rank() != 3) {
            throw new LayerException(layer.index(), layer.describe() + " needs an image input (channels, height, "
                    + "width) but gets " + in + (in.rank() == 1 ? " after flattening or from flat data; move it before "
                    + "flatten or load images (dataset layout: image)" : ""));
        }
    }

    private static void requireFlat(LayerSpec layer, Shape in) {
        if (in.rank() != 1) {
            throw new LayerException(layer.index(), layer.describe() + " needs flat features but gets " + in
                    + "; put a flatten layer before it");
        }
    }
}
