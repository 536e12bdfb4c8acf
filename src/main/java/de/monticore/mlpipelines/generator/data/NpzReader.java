package de.monticore.mlpipelines.generator.data;

import de.monticore.mlpipelines.generator.model.Shape;
import de.monticore.mlpipelines.tracking.config.ConfigSection;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads what the generator needs from an NPZ file (NumPy's zip of {@code .npy} arrays, as
 * {@code np.savez} writes it): the shapes of {@code x} and {@code y}, the type of {@code y}, and for
 * class labels how many distinct ones there are. Per example, {@code x} is flat (features) or an
 * image (channels, height, width); a 2-D example (height, width) gets one channel, in Python too.
 */
final class NpzReader {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<>|=])([a-zA-Z])(\\d+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");

    private NpzReader() {
    }

    /** One array's header, and its values as doubles when asked for. */
    record Array(char kind, int itemSize, char byteOrder, List<Integer> shape, boolean fortran) {
        long count() {
            return shape.stream().mapToLong(Integer::longValue).reduce(1, (a, b) -> a * b);
        }
    }

    static DataSource source(ConfigSection section, Path baseDirectory) {
        Path path = DataSourceParser.existingFile(section, "npz", baseDirectory);
        Array x = header(section, "npz", path, "x");
        Array y = header(section, "npz", path, "y");
        if (x.shape().isEmpty() || y.shape().isEmpty() || !x.shape().get(0).equals(y.shape().get(0))) {
            throw section.error("npz", "file " + path + " has x of shape " + x.shape() + " and y of shape " + y.shape()
                    + "; expected one row of x per value of y");
        }
        if (y.shape().size() > 2 || (y.shape().size() == 2 && y.shape().get(1) != 1)) {
            throw section.error("npz", "file " + path + " has y of shape " + y.shape()
                    + "; expected one label or target per example, shape (n,)");
        }
        List<Integer> example = x.shape().subList(1, x.shape().size());
        Shape shape = switch (example.size()) {
            case 1 -> new Shape(example);
            case 2 -> Shape.of(1, example.get(0), example.get(1));
            case 3 -> new Shape(example);
            default -> throw section.error("npz", "file " + path + " has x of shape " + x.shape()
                    + "; expected (n, features), (n, height, width) or (n, channels, height, width)");
        };
        Path validation = null;
        if (section.has("validation")) {
            validation = DataSourceParser.existingFile(section, "validation", baseDirectory);
            Array vx = header(section, "validation", validation, "x");
            if (!vx.shape().subList(1, vx.shape().size()).equals(example)) {
                throw section.error("validation", "file " + validation + " has examples of shape "
                        + vx.shape().subList(1, vx.shape().size()) + "; expected " + example + " as in "
                        + path.getFileName());
            }
        }
        Task task = DataSourceParser.explicitTask(section);
        if (task == null) {
            task = y.kind() == 'f' ? Task.REGRESSION : Task.CLASSIFICATION;
        }
        if (y.kind() != 'f' && y.kind() != 'i' && y.kind() != 'u' && y.kind() != 'b') {
            throw section.error("npz", "file " + path + " has y of NumPy type '" + y.kind() + y.itemSize()
                    + "'; expected integer labels or float targets");
        }
        int outputs = 1;
        if (task == Task.CLASSIFICATION) {
            outputs = distinctValues(section, path, y);
            if (outputs < 2) {
                throw section.error("npz", "file " + path + " has " + outputs + " distinct label in y; a "
                        + "classification needs at least 2 classes");
            }
        }
        return new DataSource("npz", path.getFileName().toString(), "flat", path, null, validation, shape, task,
                outputs);
    }

    private static ZipEntry entry(ConfigSection section, String key, Path path, ZipFile zip, String array) {
        ZipEntry entry = zip.getEntry(array + ".npy");
        if (entry == null) {
            List<String> names = new ArrayList<>();
            zip.stream().forEach(e -> names.add(e.getName().replaceAll("\\.npy$", "")));
            throw section.error(key, "file " + path + " has no array '" + array + "' (it has " + String.join(", ", names)
                    + "); expected arrays x and y, as np.savez(path, x=..., y=...) writes them");
        }
        return entry;
    }

    static Array header(ConfigSection section, String key, Path path, String array) {
        try (ZipFile zip = new ZipFile(path.toFile());
             DataInputStream in = new DataInputStream(zip.getInputStream(entry(section, key, path, zip, array)))) {
            return readHeader(in);
        } catch (IOException | IllegalArgumentException e) {
            throw section.error(key, "cannot read array '" + array + "' of " + path + ": " + e.getMessage()
                    + "; expected an NPZ file written by np.savez");
        }
    }

    private static Array readHeader(DataInputStream in) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || (magic[0] & 0xFF) != 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII)
                .equals("NUMPY")) {
            throw new IllegalArgumentException("not a .npy array");
        }
        int major = magic[6];
        byte[] lengthBytes = in.readNBytes(major == 1 ? 2 : 4);
        ByteBuffer lengthBuffer = ByteBuffer.wrap(Arrays4.padded(lengthBytes)).order(ByteOrder.LITTLE_ENDIAN);
        int length = lengthBuffer.getInt();
        String text = new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(text);
        Matcher shape = SHAPE.matcher(text);
        Matcher fortran = FORTRAN.matcher(text);
        if (!descr.find() || !shape.find() || !fortran.find()) {
            throw new IllegalArgumentException("unexpected .npy header " + text.strip());
        }
        List<Integer> dims = new ArrayList<>();
        for (String part : shape.group(1).split(",")) {
            if (!part.isBlank()) {
                dims.add(Integer.parseInt(part.strip()));
            }
        }
        return new Array(descr.group(2).charAt(0), Integer.parseInt(descr.group(3)), descr.group(1).charAt(0), dims,
                fortran.group(1).equals("True"));
    }

    /** The number of distinct values of a 1-D array of integers, booleans or floats. */
    private static int distinctValues(ConfigSection section, Path path, Array header) {
        try (ZipFile zip = new ZipFile(path.toFile());
             DataInputStream in = new DataInputStream(zip.getInputStream(entry(section, "npz", path, zip, "y")))) {
            readHeader(in);
            ByteOrder order = header.byteOrder() == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            Set<Double> values = new HashSet<>();
            byte[] item = new byte[header.itemSize()];
            for (long i = 0; i < header.count(); i++) {
                in.readFully(item);
                values.add(value(ByteBuffer.wrap(item).order(order), header));
            }
            return values.size();
        } catch (IOException | IllegalArgumentException e) {
            throw section.error("npz", "cannot read the labels y of " + path + ": " + e.getMessage());
        }
    }

    private static double value(ByteBuffer buffer, Array header) {
        return switch (header.kind()) {
            case 'f' -> header.itemSize() == 8 ? buffer.getDouble() : buffer.getFloat();
            case 'u', 'b' -> switch (header.itemSize()) {
                case 1 -> buffer.get() & 0xFF;
                case 2 -> buffer.getShort() & 0xFFFF;
                case 4 -> buffer.getInt() & 0xFFFF_FFFFL;
                default -> buffer.getLong();
            };
            default -> switch (header.itemSize()) {
                case 1 -> buffer.get();
                case 2 -> buffer.getShort();
                case 4 -> buffer.getInt();
                default -> buffer.getLong();
            };
        };
    }

    /** Little helper: pads 2 length bytes to the 4 a {@code getInt} reads. */
    private static final class Arrays4 {
        static byte[] padded(byte[] bytes) {
            byte[] four = new byte[4];
            System.arraycopy(bytes, 0, four, 0, Math.min(4, bytes.length));
            return four;
        }
    }
}
