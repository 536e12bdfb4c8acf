package de.monticore.mlpipelines.generator.pytorch;

import de.monticore.mlpipelines.cli.Main;
import de.monticore.mlpipelines.generator.ExperimentLoader;
import de.monticore.mlpipelines.generator.ExperimentSpec;
import de.monticore.mlpipelines.generator.data.Task;
import de.monticore.mlpipelines.generator.model.Shape;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code framework: pytorch}: layers with shape inference, data sources, optimiser settings, and their errors. */
class PyTorchExperimentParserTest {
    private static final String CNN = """
            name: cnn
            framework: pytorch
            dataset: {name: digits, layout: image}
            model:
              layers:
                - conv2d: {filters: 8, kernel_size: 3, padding: 1}
                - relu
                - max_pool: {size: 2}
                - flatten
                - dense: {units: 32}
                - gelu
                - linear
            training: {epochs: 2, batch_size: 32, learning_rate: 0.01, seed: 1}
            """;

    @TempDir
    Path temp;

    private ExperimentSpec load(String yaml) throws IOException {
        return new ExperimentLoader().load(Files.writeString(temp.resolve("exp.yaml"), yaml));
    }

    private String error(String yaml) throws IOException {
        Path file = Files.writeString(temp.resolve("exp.yaml"), yaml);
        String message = assertThrows(TrackingConfigException.class, () -> new ExperimentLoader().load(file))
                .getMessage();
        return message.replace(file + ": ", "");
    }

    private static String withLayers(String layers) {
        return CNN.replaceAll("(?s)  layers:\n.*?(?=training:)", "  layers: [" + layers + "]\n");
    }

    @Test
    void featureCountsAreWorkedOutFromTheInputShape() throws IOException {
        ExperimentSpec spec = load(CNN);
        PyTorchExperiment pytorch = spec.pytorch();
        assertEquals(ExperimentSpec.Framework.PYTORCH, spec.framework());
        assertEquals(Shape.of(1, 8, 8), pytorch.data().inputShape());
        assertEquals(List.of("nn.Conv2d(1, 8, kernel_size=3, padding=1)", "nn.ReLU()", "nn.MaxPool2d(kernel_size=2)",
                        "nn.Flatten()", "nn.Linear(128, 32)", "nn.GELU()", "nn.Linear(32, 10)"),
                pytorch.layers().stream().map(layer -> layer.module()).collect(Collectors.toList()));
        assertEquals("(8, 4, 4)", pytorch.layers().get(2).output().toString());
        assertEquals("conv2d(8,k3,p1)-relu-max_pool(2)-flatten-linear(32)-gelu-linear(10)",
                spec.hyperparameters().get("layers"));
        assertEquals("sgd", spec.hyperparameters().get("optimizer"));
        assertEquals("none", spec.hyperparameters().get("early_stopping_monitor"));
        assertEquals("1", spec.hyperparameters().get("processes"));
    }

    @Test
    void optimiserScheduleClippingEarlyStoppingAndProcessesAreRead() throws IOException {
        ExperimentSpec spec = load(CNN.replace("seed: 1}", "seed: 1, optimizer: sgd, momentum: 0.9, weight_decay: 1e-4, "
                + "lr_schedule: {type: step, step_size: 2, gamma: 0.5}, grad_clip_norm: 2, "
                + "early_stopping: {monitor: val_accuracy, patience: 4}}\ndistributed: {processes: 2}"));
        PyTorchExperiment.TorchTraining training = spec.pytorch().training();
        assertEquals(new PyTorchExperiment.TorchTraining(PyTorchExperiment.Optimizer.SGD, 0.9, 1e-4,
                PyTorchExperiment.Schedule.STEP, 2, 0.5, 2.0, "val_accuracy", 4), training);
        assertEquals(2, spec.pytorch().processes());
        assertEquals("0.0001", spec.hyperparameters().get("weight_decay"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "flatten, conv2d: {filters: 4}, linear|model.layers[1]: layer 1 (conv2d) needs an image input (channels, height, width) but gets (64,) after flattening or from flat data; move it before flatten or load images (dataset layout: image) (input (1, 8, 8) from dataset digits_image)",
            "max_pool: {size: 2}, max_pool: {size: 2}, max_pool: {size: 2}, max_pool: {size: 2}, flatten, linear|model.layers[3]: layer 3 (max_pool): a pool of 2 is larger than its 1x1 input; expected a size of at most 1 (input (1, 8, 8) from dataset digits_image)",
            "conv2d: {filters: 4, kernel_size: 9}, flatten, linear|model.layers[0]: layer 0 (conv2d): a kernel 9 is larger than its 8x8 input; expected a size of at most 8 (input (1, 8, 8) from dataset digits_image)",
            "linear|model.layers[0]: layer 0 (linear) needs flat features but gets (1, 8, 8); put a flatten layer before it (input (1, 8, 8) from dataset digits_image)",
            "flatten, linear, linear: {units: 5}|model.layers[1]: layer 1 (linear) needs units; only the last linear layer takes its size from the data (input (1, 8, 8) from dataset digits_image)",
            "flatten, linear: {units: 5}|model.layers: the model ends with shape (5,) but the data needs (10,) per example (10 classes); end with a linear layer without units (input (1, 8, 8) from dataset digits_image)",
            "flatten, softmax, linear|model.layers[1]: 'softmax' is not a layer; expected one of linear, conv2d, max_pool, avg_pool, flatten, dropout, batch_norm, relu, gelu, tanh, sigmoid",
            "flatten, dropout: {rate: 1.5}, linear|model.layers[1].dropout.rate: 1.5 is out of range; expected a fraction from 0 up to, not including, 1",
            "flatten, linear: {units: 8, bias: false}, linear|model.layers[1].linear.bias: unknown key; expected one of units",
            "conv2d: {kernel_size: 3}, flatten, linear|model.layers[0]: layer 0 (conv2d) needs filters (output channels) (input (1, 8, 8) from dataset digits_image)",
    })
    void aLayerThatCannotFollowThePreviousOneNamesItsIndexAndWhy(String layers, String expected) throws IOException {
        assertEquals(expected, error(withLayers(layers)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "optimizer: rmsprop|training.optimizer: 'rmsprop' is not one of sgd, adam, adamw; expected one of them",
            "optimizer: adam, momentum: 0.9|training.momentum: only applies to optimizer sgd; adam keeps its own moment estimates",
            "lr_schedule: {type: cosine, gamma: 0.5}|training.lr_schedule.gamma: only applies to type step",
            "early_stopping: {monitor: val_mae}|training.early_stopping.monitor: 'val_mae' is not an epoch metric of a classification; expected one of train_epoch_loss, train_epoch_accuracy, val_loss, val_accuracy",
            "validation_split: 0, early_stopping: {monitor: val_loss}|training.early_stopping.monitor: 'val_loss' needs validation data, but validation_split is 0 and the dataset names no validation file; monitor a train_epoch_ metric or hold data out",
            "grad_clip_norm: -1|training.grad_clip_norm: -1.0 is negative; expected a norm > 0, or 0 for no clipping",
    })
    void badTrainingSettingsNameTheirKey(String settings, String expected) throws IOException {
        assertEquals(expected, error(CNN.replace("seed: 1}", "seed: 1, " + settings + "}")));
    }

    @Test
    void numpyExperimentsRejectPyTorchSections() throws IOException {
        String numpy = "name: n\nmodel: {type: softmax_regression}\ndataset: digits\n"
                + "training: {epochs: 1, batch_size: 8, learning_rate: 0.1, seed: 0}\n";
        assertEquals("distributed: only applies to framework pytorch (torchrun); NumPy trains in one process",
                error(numpy + "distributed: {processes: 2}\n"));
        assertEquals("framework: 'jax' is not a framework; expected one of numpy, pytorch",
                error(numpy + "framework: jax\n"));
        assertEquals(ExperimentSpec.Framework.NUMPY, load(numpy + "framework: numpy\n").framework());
    }

    @Test
    void scikitLearnSetsGiveShapeTaskAndOutputs() throws IOException {
        String flat = withLayers("linear").replace("dataset: {name: digits, layout: image}", "dataset: %s");
        assertEquals(Shape.of(4), load(flat.formatted("iris")).pytorch().data().inputShape());
        ExperimentSpec diabetes = load(flat.formatted("diabetes"));
        assertEquals(Task.REGRESSION, diabetes.pytorch().data().task());
        assertEquals("nn.Linear(10, 1)", diabetes.pytorch().layers().get(0).module());
        assertEquals("dataset: 'mnist' is not a scikit-learn data set; expected one of breast_cancer, diabetes, digits, "
                + "iris, wine, or a mapping with csv or npz for your own file", error(flat.formatted("mnist")));
        assertEquals("dataset.layout: image applies to digits only; iris has flat features",
                error(flat.formatted("{name: iris, layout: image}")));
    }

    @Test
    void aCsvFileIsCheckedForItsLabelColumnAndGivesFeaturesAndClasses() throws IOException {
        Files.createDirectories(temp.resolve("data"));
        Files.writeString(temp.resolve("data/train.csv"), "a,b,c,species\n1,2,3,setosa\n4,5,6,virginica\n7,8,9,setosa\n"
                + "1,1,1,versicolor\n");
        String csv = withLayers("linear").replace("dataset: {name: digits, layout: image}", "dataset: %s");
        ExperimentSpec spec = load(csv.formatted("{csv: data/train.csv, label: species}"));
        assertEquals(Shape.of(3), spec.pytorch().data().inputShape());
        assertEquals(3, spec.pytorch().data().outputs());
        assertEquals(temp.resolve("data/train.csv"), spec.pytorch().data().path());
        assertEquals("csv:train.csv", spec.hyperparameters().get("dataset"));
        assertEquals("dataset.label: column 'kind' is not in " + temp.resolve("data/train.csv")
                + "; its columns are a, b, c, species", error(csv.formatted("{csv: data/train.csv, label: kind}")));
        assertEquals("dataset.csv: file " + temp.resolve("data/nope.csv") + " does not exist; expected a path relative "
                + "to the experiment file", error(csv.formatted("{csv: data/nope.csv, label: species}")));
        Files.writeString(temp.resolve("data/reg.csv"), "x,y\n1,0.5\n2,1.5\n3,2.25\n");
        ExperimentSpec regression = load(csv.formatted("{csv: data/reg.csv, label: y}"));
        assertEquals(Task.REGRESSION, regression.pytorch().data().task());
        assertEquals(1, regression.pytorch().data().outputs());
    }

    @Test
    void anNpzFileGivesItsExampleShapeAndClassCount() throws IOException {
        Path npz = temp.resolve("images.npz");
        writeNpz(npz, new int[] {6, 12, 12}, new long[] {0, 1, 2, 1, 0, 2});
        String yaml = CNN.replace("dataset: {name: digits, layout: image}", "dataset: {npz: images.npz}");
        ExperimentSpec spec = load(yaml);
        assertEquals(Shape.of(1, 12, 12), spec.pytorch().data().inputShape());
        assertEquals(3, spec.pytorch().data().outputs());
        assertEquals("nn.Linear(288, 32)", spec.pytorch().layers().get(4).module());
        writeNpz(npz, new int[] {6, 1, 1}, new long[] {0, 1, 2, 1, 0, 2});
        assertEquals("model.layers[2]: layer 2 (max_pool): a pool of 2 is larger than its 1x1 input; expected a size "
                + "of at most 1 (input (1, 1, 1) from dataset npz:images.npz)", error(yaml));
    }

    @Test
    void aModelThatDoesNotFitExitsTwoAndWritesNothing() throws IOException {
        Path file = Files.writeString(temp.resolve("exp.yaml"), withLayers("flatten, max_pool: {size: 2}, linear"));
        Path out = temp.resolve("out");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(new String[] {"generate", file.toString(), "--out", out.toString()},
                new PrintStream(OutputStream.nullOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, exit);
        assertEquals("mlpipelines: " + file + ": model.layers[1]: layer 1 (max_pool) needs an image input (channels, "
                + "height, width) but gets (64,) after flattening or from flat data; move it before flatten or load "
                + "images (dataset layout: image) (input (1, 8, 8) from dataset digits_image)\n",
                err.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(out));
    }

    @Test
    void setOverridesLayersAndEarlyStoppingAndTheyAreCheckedTheSameWay() throws IOException {
        Path file = Files.writeString(temp.resolve("exp.yaml"), CNN);
        ExperimentSpec spec = new ExperimentLoader().load(file, java.util.Map.of("model.layers", "[flatten, linear]",
                "training.early_stopping.patience", "4", "training.lr_schedule", "cosine"));
        assertEquals("flatten-linear(10)", spec.hyperparameters().get("layers"));
        assertEquals("4", spec.hyperparameters().get("early_stopping_patience"));
        assertEquals("val_loss", spec.hyperparameters().get("early_stopping_monitor"));
        assertEquals("cosine", spec.hyperparameters().get("lr_schedule"));
        String message = assertThrows(TrackingConfigException.class, () -> new ExperimentLoader().load(file,
                java.util.Map.of("model.layers", "[flatten, conv2d: {filters: 2}, linear]"))).getMessage();
        assertEquals(file + ": model.layers[1]: layer 1 (conv2d) needs an image input (channels, height, width) but "
                + "gets (64,) after flattening or from flat data; move it before flatten or load images (dataset "
                + "layout: image) (input (1, 8, 8) from dataset digits_image)", message);
    }

    /** Writes an NPZ file as np.savez does: a zip of x.npy (float32 zeros) and y.npy (int64). */
    static void writeNpz(Path path, int[] xShape, long[] labels) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(path))) {
            long count = 1;
            for (int dim : xShape) {
                count *= dim;
            }
            zip.putNextEntry(new ZipEntry("x.npy"));
            zip.write(npyHeader("<f4", xShape));
            zip.write(new byte[(int) count * 4]);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("y.npy"));
            zip.write(npyHeader("<i8", new int[] {labels.length}));
            ByteBuffer buffer = ByteBuffer.allocate(labels.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long label : labels) {
                buffer.putLong(label);
            }
            zip.write(buffer.array());
            zip.closeEntry();
        }
    }

    private static byte[] npyHeader(String descr, int[] shape) {
        String dims = shape.length == 1 ? shape[0] + ","
                : java.util.Arrays.stream(shape).mapToObj(String::valueOf).collect(Collectors.joining(", "));
        StringBuilder header = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims
                + "), }");
        while ((10 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        ByteBuffer buffer = ByteBuffer.allocate(10 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        buffer.putShort((short) header.length()).put(header.toString().getBytes(StandardCharsets.US_ASCII));
        return buffer.array();
    }
}
