package de.monticore.mlpipelines.generator.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The layers a model description may list, by the names users write (aliases included), with the
 * settings each takes. Shape rules live in {@link ShapeInference}.
 */
public enum LayerKind {
    LINEAR(List.of("linear", "dense"), Set.of("units")),
    CONV2D(List.of("conv2d", "conv"), Set.of("filters", "kernel_size", "stride", "padding")),
    MAX_POOL(List.of("max_pool", "maxpool", "max_pool2d"), Set.of("size", "stride")),
    AVG_POOL(List.of("avg_pool", "avgpool", "avg_pool2d"), Set.of("size", "stride")),
    FLATTEN(List.of("flatten"), Set.of()),
    DROPOUT(List.of("dropout"), Set.of("rate")),
    BATCH_NORM(List.of("batch_norm", "batchnorm"), Set.of()),
    RELU(List.of("relu"), Set.of()),
    GELU(List.of("gelu"), Set.of()),
    TANH(List.of("tanh"), Set.of()),
    SIGMOID(List.of("sigmoid"), Set.of());

    private final List<String> names;
    private final Set<String> settings;

    LayerKind(List<String> names, Set<String> settings) {
        this.names = names;
        this.settings = settings;
    }

    /** The name the project writes (first of the accepted names). */
    public String yamlName() {
        return names.get(0);
    }

    /** The keys this layer accepts below its name. */
    public Set<String> settings() {
        return settings;
    }

    /** True for the element-wise activations. */
    public boolean isActivation() {
        return this == RELU || this == GELU || this == TANH || this == SIGMOID;
    }

    /** The kind a user-written name means (case-insensitive, aliases included), or null. */
    public static LayerKind byName(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(kind -> kind.names.contains(key)).findFirst().orElse(null);
    }

    /** Every accepted name of every layer, for messages. */
    public static String choices() {
        return Arrays.stream(values()).map(LayerKind::yamlName).collect(Collectors.joining(", "));
    }
}
