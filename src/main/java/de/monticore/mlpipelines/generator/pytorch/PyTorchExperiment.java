package de.monticore.mlpipelines.generator.pytorch;

import de.monticore.mlpipelines.generator.data.DataSource;
import de.monticore.mlpipelines.generator.model.ResolvedLayer;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a {@code framework: pytorch} experiment adds to the common settings: the model's layers with
 * their shapes worked out, the data source, the optimiser settings and the number of processes.
 *
 * @param layers    the layers, resolved against the data's input shape
 * @param data      where the examples come from
 * @param training  optimiser, schedule, clipping and early stopping
 * @param processes how many processes train together (torchrun); 1 for a plain process
 */
public record PyTorchExperiment(List<ResolvedLayer> layers, DataSource data, TorchTraining training, int processes) {
    public PyTorchExperiment {
        layers = List.copyOf(layers);
    }

    /** The optimisers experiment.yaml may name. */
    public enum Optimizer {
        SGD, ADAM, ADAMW;

        /** The name used in experiment.yaml and the script's options. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Learning-rate schedules, stepped once per epoch. */
    public enum Schedule {
        NONE, STEP, COSINE;

        /** The name used in experiment.yaml and the script's options. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Optimiser settings beyond the common epochs, batch size, learning rate and seed.
     *
     * @param optimizer         sgd, adam or adamw
     * @param momentum          SGD's momentum, in {@code [0, 1)}; ignored by the others
     * @param weightDecay       L2 penalty (decoupled for adamw), {@code >= 0}
     * @param schedule          none, step or cosine
     * @param stepSize          epochs between decays of the step schedule
     * @param gamma             the step schedule's decay factor, in {@code (0, 1]}
     * @param gradClipNorm      the largest gradient norm; 0 for no clipping
     * @param monitor           the epoch metric early stopping watches; empty for no early stopping
     * @param patience          epochs without improvement before stopping
     */
    public record TorchTraining(Optimizer optimizer, double momentum, double weightDecay, Schedule schedule,
                                int stepSize, double gamma, double gradClipNorm, String monitor, int patience) {
    }

    /**
     * The layers as one param value: {@code conv2d(16,k3,p1)-relu-max_pool(2)-flatten-linear(10)},
     * the sizes after shape inference.
     */
    public String layersParam() {
        return layers.stream().map(layer -> {
            String name = layer.spec().kind().yamlName();
            return switch (layer.spec().kind()) {
                case LINEAR -> name + "(" + layer.output().get(0) + ")";
                case CONV2D -> name + "(" + layer.output().get(0) + ",k" + layer.spec().intSetting("kernel_size", 3)
                        + (layer.spec().has("stride") ? ",s" + layer.spec().intSetting("stride", 1) : "")
                        + (layer.spec().has("padding") ? ",p" + layer.spec().intSetting("padding", 0) : "") + ")";
                case MAX_POOL, AVG_POOL -> name + "(" + layer.spec().intSetting("size", 2) + ")";
                case DROPOUT -> layer.module().replace("nn.Dropout(p=", "dropout(").replace("nn.Dropout()", "dropout");
                default -> name;
            };
        }).collect(Collectors.joining("-"));
    }
}
