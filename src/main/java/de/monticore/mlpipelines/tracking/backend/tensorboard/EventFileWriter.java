package de.monticore.mlpipelines.tracking.backend.tensorboard;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.rundir.RunDirectories;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Writes a TensorBoard event file ({@code events.out.tfevents.<seconds>.<host>.<pid>.java}) with
 * scalar and text summaries, without TensorFlow or a protobuf library (neither is packaged for Java
 * here). The file is a sequence of TFRecords, each
 * {@code uint64 length, uint32 masked_crc32c(length), data, uint32 masked_crc32c(data)} (little
 * endian), whose data is a serialized {@code tensorboard.Event}. Only these protobuf fields are
 * written (numbers from tensorboard's {@code event.proto}, {@code summary.proto},
 * {@code tensor.proto}, {@code tensor_shape.proto}):
 * <pre>
 * Event           wall_time=1 double, step=2 int64, file_version=3 string, summary=5 Summary
 * Summary         value=1 repeated Value
 * Value           tag=1 string, simple_value=2 float, tensor=8 TensorProto, metadata=9 SummaryMetadata
 * SummaryMetadata plugin_data=1 PluginData{plugin_name=1 string, content=2 bytes}
 * TensorProto     dtype=1 enum (DT_STRING=7), tensor_shape=2 TensorShapeProto (empty: a scalar),
 *                 string_val=8 bytes
 * </pre>
 * and for the HParams dashboard the {@code hparams} plugin's data ({@code plugin_data.proto}, {@code api.proto},
 * as tensorboardX's {@code hparams()} writes it: version 0, no tensor):
 * <pre>
 * HParamsPluginData version=1 int32, session_start_info=3, session_end_info=4
 * SessionStartInfo  hparams=1 map&lt;string, google.protobuf.Value&gt;, start_time_secs=5 double
 * SessionEndInfo    status=1 enum (SUCCESS=1, FAILURE=2), end_time_secs=2 double
 * Value             number_value=2 double, string_value=3 string, bool_value=4 bool
 * </pre>
 * Every event is written with a single {@code write} and is on disk for readers at once (no
 * buffering), so TensorBoard shows it while training runs. Not thread-safe; the tracker serializes.
 */
public final class EventFileWriter implements Closeable {
    private static final String FILE_VERSION = "brain.Event:2";
    private static final int WIRE_VARINT = 0;
    private static final int WIRE_FIXED64 = 1;
    private static final int WIRE_LENGTH_DELIMITED = 2;
    private static final int WIRE_FIXED32 = 5;
    private static final int DT_STRING = 7;
    private static final int CRC_MASK_DELTA = 0xa282ead8;

    private final Path file;
    private final FileOutputStream out;

    private EventFileWriter(Path file, FileOutputStream out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Creates a new event file in {@code directory} and writes its version record.
     *
     * @throws TrackingException when the file cannot be created; the message names it
     */
    public static EventFileWriter create(Path directory) {
        long nowMillis = System.currentTimeMillis();
        String name = "events.out.tfevents." + (nowMillis / 1000) + "." + hostName() + "."
                + ProcessHandle.current().pid() + ".java";
        Path file = directory.resolve(name);
        EventFileWriter writer;
        try {
            writer = new EventFileWriter(file, new FileOutputStream(file.toFile()));
        } catch (IOException e) {
            throw new TrackingException("cannot create TensorBoard event file '" + file + "': "
                    + RunDirectories.describe(e), e);
        }
        Proto event = new Proto().fixed64(1, nowMillis / 1000.0).string(3, FILE_VERSION);
        writer.writeRecord(event.toByteArray());
        return writer;
    }

    /** The event file. */
    public Path file() {
        return file;
    }

    /**
     * Writes a scalar summary ({@code simple_value}, a 32-bit float as in every TensorBoard writer).
     *
     * @throws TrackingException when writing fails
     */
    public void writeScalar(String tag, float value, long step, double wallTimeSeconds) {
        Proto summaryValue = new Proto().string(1, tag).fixed32(2, value);
        writeSummary(summaryValue, step, wallTimeSeconds);
    }

    /**
     * Writes a text summary that TensorBoard's Text tab renders as Markdown: a scalar string tensor
     * with the {@code text} plugin's metadata.
     *
     * @throws TrackingException when writing fails
     */
    public void writeText(String tag, String markdown, long step, double wallTimeSeconds) {
        Proto pluginData = new Proto().string(1, "text");
        Proto metadata = new Proto().message(1, pluginData);
        Proto tensor = new Proto()
                .varint(1, DT_STRING)
                .message(2, new Proto())
                .bytes(8, markdown.getBytes(StandardCharsets.UTF_8));
        Proto summaryValue = new Proto().string(1, tag).message(8, tensor).message(9, metadata);
        writeSummary(summaryValue, step, wallTimeSeconds);
    }

    /** The tag TensorBoard's HParams dashboard reads a session's hyperparameters from. */
    public static final String SESSION_START_TAG = "_hparams_/session_start_info";
    /** The tag TensorBoard's HParams dashboard reads a session's end from. */
    public static final String SESSION_END_TAG = "_hparams_/session_end_info";

    /**
     * Writes the run's hyperparameters for the HParams dashboard (a session start). Values are typed as
     * the dashboard shows them: a number ({@code 0.1}, {@code 32}, {@code 1e-3}) as a number, {@code true}
     * or {@code false} (any case) as a boolean, anything else as text. The dashboard reads the newest one.
     *
     * @throws TrackingException when writing fails
     */
    public void writeHParams(java.util.Map<String, String> hparams, long step, double startTimeSeconds) {
        Proto start = new Proto();
        hparams.forEach((key, value) -> start.message(1, new Proto().string(1, key).message(2, typedValue(value))));
        start.fixed64(5, startTimeSeconds);
        writePluginSummary(SESSION_START_TAG, new Proto().message(3, start), step, startTimeSeconds);
    }

    /**
     * Writes the end of the run's HParams session: success or failure, and when.
     *
     * @throws TrackingException when writing fails
     */
    public void writeHParamsEnd(boolean success, long step, double endTimeSeconds) {
        Proto end = new Proto().varint(1, success ? 1 : 2).fixed64(2, endTimeSeconds);
        writePluginSummary(SESSION_END_TAG, new Proto().message(4, end), step, endTimeSeconds);
    }

    /** A {@code google.protobuf.Value}: number, boolean or string, as {@link #writeHParams} documents. */
    static Proto typedValue(String value) {
        String text = value.strip();
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return new Proto().varint(4, text.equalsIgnoreCase("true") ? 1 : 0);
        }
        if (NUMBER.matcher(text).matches()) {
            double number = Double.parseDouble(text);
            if (Double.isFinite(number)) {
                return new Proto().fixed64(2, number);
            }
        }
        return new Proto().string(3, value);
    }

    private static final java.util.regex.Pattern NUMBER =
            java.util.regex.Pattern.compile("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");

    private void writePluginSummary(String tag, Proto pluginData, long step, double wallTimeSeconds) {
        Proto plugin = new Proto().string(1, "hparams").bytes(2, pluginData.toByteArray());
        Proto summaryValue = new Proto().string(1, tag).message(9, new Proto().message(1, plugin));
        writeSummary(summaryValue, step, wallTimeSeconds);
    }

    private void writeSummary(Proto summaryValue, long step, double wallTimeSeconds) {
        Proto summary = new Proto().message(1, summaryValue);
        Proto event = new Proto().fixed64(1, wallTimeSeconds).varint(2, step).message(5, summary);
        writeRecord(event.toByteArray());
    }

    /** Closes the file; later writes fail. */
    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new TrackingException("cannot close TensorBoard event file '" + file + "': "
                    + RunDirectories.describe(e), e);
        }
    }

    private void writeRecord(byte[] data) {
        ByteBuffer record = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        record.putLong(data.length);
        record.putInt(maskedCrc32c(record.array(), 0, 8));
        record.put(data);
        record.putInt(maskedCrc32c(data, 0, data.length));
        try {
            out.write(record.array());
        } catch (IOException e) {
            throw new TrackingException("cannot write TensorBoard event file '" + file + "': "
                    + RunDirectories.describe(e), e);
        }
    }

    /** CRC32C rotated and offset as TFRecord requires, so that CRCs of CRCs do not degenerate. */
    static int maskedCrc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int value = (int) crc.getValue();
        return ((value >>> 15) | (value << 17)) + CRC_MASK_DELTA;
    }

    private static String hostName() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            name = "localhost";
        }
        // The host name becomes part of a file name.
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** Builds one protobuf message: fields in the order they are added, proto3 wire format. */
    static final class Proto {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            key(field, WIRE_VARINT);
            rawVarint(value);
            return this;
        }

        Proto fixed64(int field, double value) {
            key(field, WIRE_FIXED64);
            long bits = Double.doubleToRawLongBits(value);
            for (int i = 0; i < 8; i++) {
                bytes.write((int) (bits >>> (8 * i)));
            }
            return this;
        }

        Proto fixed32(int field, float value) {
            key(field, WIRE_FIXED32);
            int bits = Float.floatToRawIntBits(value);
            for (int i = 0; i < 4; i++) {
                bytes.write(bits >>> (8 * i));
            }
            return this;
        }

        Proto bytes(int field, byte[] value) {
            key(field, WIRE_LENGTH_DELIMITED);
            rawVarint(value.length);
            bytes.writeBytes(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto message) {
            return bytes(field, message.toByteArray());
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }

        private void key(int field, int wireType) {
            rawVarint(((long) field << 3) | wireType);
        }

        private void rawVarint(long value) {
            while ((value & ~0x7FL) != 0) {
                bytes.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            bytes.write((int) value);
        }
    }
}
