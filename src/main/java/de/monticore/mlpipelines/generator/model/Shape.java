package de.monticore.mlpipelines.generator.model;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The shape of one example as it flows through a model, without the batch dimension: {@code (64)}
 * for flat features, {@code (1, 8, 8)} for a one-channel 8x8 image (channels, height, width).
 *
 * @param dims the sizes, each {@code >= 1}
 */
public record Shape(List<Integer> dims) {
    public Shape {
        dims = List.copyOf(dims);
        if (dims.isEmpty() || dims.stream().anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("a shape needs sizes >= 1, got " + dims);
        }
    }

    /** A shape of the given sizes. */
    public static Shape of(Integer... dims) {
        return new Shape(List.of(dims));
    }

    /** The number of dimensions: 1 for features, 3 for images. */
    public int rank() {
        return dims.size();
    }

    /** The size of one dimension. */
    public int get(int index) {
        return dims.get(index);
    }

    /** The number of values: the product of the sizes. */
    public long size() {
        return dims.stream().mapToLong(Integer::longValue).reduce(1, (a, b) -> a * b);
    }

    /** As Python writes a tuple: {@code (1, 8, 8)}, {@code (64,)}. */
    @Override
    public String toString() {
        return dims.size() == 1 ? "(" + dims.get(0) + ",)"
                : dims.stream().map(String::valueOf).collect(Collectors.joining(", ", "(", ")"));
    }
}
