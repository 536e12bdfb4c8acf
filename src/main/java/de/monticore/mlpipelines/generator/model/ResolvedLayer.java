package de.monticore.mlpipelines.generator.model;

/**
 * A layer with its shapes worked out and the PyTorch module that implements it.
 *
 * @param spec   the layer as written
 * @param input  the shape it receives
 * @param output the shape it produces
 * @param module the PyTorch constructor call as Python source, {@code nn.Conv2d(1, 16, kernel_size=3)}
 */
public record ResolvedLayer(LayerSpec spec, Shape input, Shape output, String module) {
}
