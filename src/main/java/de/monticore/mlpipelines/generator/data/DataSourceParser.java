package de.monticore.mlpipelines.generator.data;

import de.monticore.mlpipelines.generator.model.Shape;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads experiment.yaml's {@code dataset} for a PyTorch experiment into a {@link DataSource}:
 *
 * <pre>{@code
 * dataset: iris                                   # scikit-learn: digits, iris, wine, breast_cancer, diabetes
 * dataset: {name: digits, layout: image}          # digits as 1x8x8 images (default: flat, 64 features)
 * dataset: {csv: data/train.csv, label: species}  # a CSV file with a header and a label column
 * dataset: {npz: data/train.npz}                  # an NPZ file with arrays x and y
 *   validation: data/val.csv                      # optional, a file of the same kind instead of a split
 *   task: regression                              # optional for files: classification | regression
 * }</pre>
 *
 * <p>Paths are relative to the experiment file. Files are read here, so that a missing file, a
 * missing label column or a model that does not fit the data is an error before anything is generated.
 */
public final class DataSourceParser {
    /** scikit-learn's bundled sets: name to (features, classes; 1 for regression). */
    static final Map<String, int[]> SKLEARN = Map.of(
            "digits", new int[] {64, 10},
            "iris", new int[] {4, 3},
            "wine", new int[] {13, 3},
            "breast_cancer", new int[] {30, 2},
            "diabetes", new int[] {10, 1});
    private static final Set<String> SKLEARN_KEYS = Set.of("name", "layout");
    private static final Set<String> CSV_KEYS = Set.of("csv", "label", "validation", "task");
    private static final Set<String> NPZ_KEYS = Set.of("npz", "validation", "task");

    private DataSourceParser() {
    }

    /**
     * Reads {@code top}'s {@code dataset}.
     *
     * @param baseDirectory the experiment file's directory, which relative paths start from
     * @throws TrackingConfigException naming the file, the key path and what was expected
     */
    public static DataSource parse(ConfigSection top, Path baseDirectory) {
        String key = "dataset";
        if (!top.has(key)) {
            throw top.error(key, "missing; expected a scikit-learn set (" + sklearnNames() + ") or a mapping with csv "
                    + "or npz");
        }
        if (isScalar(top, key)) {
            return sklearn(top, key, top.string(key, ""), "flat");
        }
        ConfigSection section = top.section(key);
        if (section.has("csv")) {
            section.rejectUnknownKeys(CSV_KEYS);
            return csv(section, baseDirectory);
        }
        if (section.has("npz")) {
            section.rejectUnknownKeys(NPZ_KEYS);
            return NpzReader.source(section, baseDirectory);
        }
        if (section.has("name")) {
            section.rejectUnknownKeys(SKLEARN_KEYS);
            String layout = section.string("layout", "flat").trim().toLowerCase(Locale.ROOT);
            return sklearn(section, "name", section.string("name", ""), layout);
        }
        throw top.error(key, "expected one of the keys name (a scikit-learn set), csv or npz");
    }

    private static boolean isScalar(ConfigSection top, String key) {
        try {
            top.string(key, null);
            return true;
        } catch (TrackingConfigException notAScalar) {
            return false;
        }
    }

    private static String sklearnNames() {
        return String.join(", ", SKLEARN.keySet().stream().sorted().toList());
    }

    private static DataSource sklearn(ConfigSection section, String key, String text, String layout) {
        String name = text.trim().toLowerCase(Locale.ROOT);
        int[] info = SKLEARN.get(name);
        if (info == null) {
            throw section.error(key, "'" + text + "' is not a scikit-learn data set; expected one of " + sklearnNames()
                    + ", or a mapping with csv or npz for your own file");
        }
        if (!layout.equals("flat") && !layout.equals("image")) {
            throw section.error("layout", "'" + layout + "' is not a layout; expected flat or image");
        }
        if (layout.equals("image") && !name.equals("digits")) {
            throw section.error("layout", "image applies to digits only; " + name + " has flat features");
        }
        Shape shape = layout.equals("image") ? Shape.of(1, 8, 8) : Shape.of(info[0]);
        Task task = info[1] == 1 ? Task.REGRESSION : Task.CLASSIFICATION;
        return new DataSource("sklearn", name, layout, null, null, null, shape, task, info[1]);
    }

    /** Resolves a data path against the experiment's directory and checks it is a readable file. */
    static Path existingFile(ConfigSection section, String key, Path baseDirectory) {
        String text = section.requireString(key);
        Path path = baseDirectory.resolve(text).toAbsolutePath().normalize();
        if (!Files.isRegularFile(path)) {
            throw section.error(key, "file " + path + " does not exist; expected a path relative to the experiment "
                    + "file");
        }
        if (!Files.isReadable(path)) {
            throw section.error(key, "file " + path + " is not readable");
        }
        return path;
    }

    /** The task given as {@code task}, or null to decide from the labels. */
    static Task explicitTask(ConfigSection section) {
        String text = section.string("task", null);
        if (text == null) {
            return null;
        }
        for (Task task : Task.values()) {
            if (task.yamlName().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return task;
            }
        }
        throw section.error("task", "'" + text + "' is not a task; expected classification or regression");
    }

    private static DataSource csv(ConfigSection section, Path baseDirectory) {
        Path path = existingFile(section, "csv", baseDirectory);
        String label = section.requireString("label");
        CsvColumns train = readCsv(section, "csv", path, label);
        Path validation = null;
        if (section.has("validation")) {
            validation = existingFile(section, "validation", baseDirectory);
            CsvColumns other = readCsv(section, "validation", validation, label);
            if (!other.header().equals(train.header())) {
                throw section.error("validation", "file " + validation + " has the columns " + other.header()
                        + "; expected those of " + path.getFileName() + ": " + train.header());
            }
        }
        Task task = explicitTask(section);
        if (task == null) {
            task = train.labelsAreWholeNumbers() || !train.labelsAreNumbers() ? Task.CLASSIFICATION : Task.REGRESSION;
        }
        if (task == Task.REGRESSION && !train.labelsAreNumbers()) {
            throw section.error("label", "column '" + label + "' of " + path + " holds text; a regression needs numbers");
        }
        int outputs = task == Task.REGRESSION ? 1 : train.distinctLabels();
        if (task == Task.CLASSIFICATION && outputs < 2) {
            throw section.error("label", "column '" + label + "' of " + path + " has " + outputs
                    + " distinct value; a classification needs at least 2 classes");
        }
        return new DataSource("csv", path.getFileName().toString(), "flat", path, label, validation,
                Shape.of(train.header().size() - 1), task, outputs);
    }

    /** A CSV file's header and what its label column holds. */
    record CsvColumns(List<String> header, int distinctLabels, boolean labelsAreNumbers,
                      boolean labelsAreWholeNumbers) {
    }

    /** Reads a CSV file (comma-separated, a header row, no quoted commas in numbers) and checks it. */
    static CsvColumns readCsv(ConfigSection section, String key, Path path, String label) {
        try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String headerLine = reader.readLine();
            if (headerLine == null || headerLine.isBlank()) {
                throw section.error(key, "file " + path + " is empty; expected a header row and data rows");
            }
            List<String> header = splitRow(headerLine);
            int labelColumn = header.indexOf(label);
            if (labelColumn < 0) {
                throw section.error("label", "column '" + label + "' is not in " + path + "; its columns are "
                        + String.join(", ", header));
            }
            if (header.size() < 2) {
                throw section.error(key, "file " + path + " has only the label column; expected feature columns too");
            }
            Set<String> labels = new HashSet<>();
            boolean numbers = true;
            boolean whole = true;
            int row = 1;
            String line;
            while ((line = reader.readLine()) != null) {
                row++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> cells = splitRow(line);
                if (cells.size() != header.size()) {
                    throw section.error(key, "file " + path + " line " + row + " has " + cells.size()
                            + " values; expected " + header.size() + " as in the header");
                }
                String value = cells.get(labelColumn);
                labels.add(value);
                try {
                    double number = Double.parseDouble(value);
                    whole &= number == Math.rint(number) && !value.contains(".") && !value.contains("e");
                } catch (NumberFormatException e) {
                    numbers = false;
                    whole = false;
                }
            }
            if (labels.isEmpty()) {
                throw section.error(key, "file " + path + " has no data rows; expected rows below the header");
            }
            return new CsvColumns(header, labels.size(), numbers, whole);
        } catch (IOException e) {
            throw section.error(key, "cannot read " + path + ": " + e.getMessage());
        }
    }

    private static List<String> splitRow(String line) {
        return new ArrayList<>(Arrays.stream(line.split(",", -1)).map(cell -> {
            String trimmed = cell.strip();
            return trimmed.length() >= 2 && trimmed.startsWith("\"") && trimmed.endsWith("\"")
                    ? trimmed.substring(1, trimmed.length() - 1) : trimmed;
        }).toList());
    }
}
