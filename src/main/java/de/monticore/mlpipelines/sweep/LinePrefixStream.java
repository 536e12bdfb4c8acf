package de.monticore.mlpipelines.sweep;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes whole lines to a shared stream, each preceded by a prefix ({@code [trial 3] }), so that the
 * output of trials running at once stays readable: a line is written in one piece, never mixed with
 * another trial's. A last line without a line break is written on {@link #close()}.
 */
final class LinePrefixStream extends OutputStream {
    private final PrintStream target;
    private final byte[] prefix;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LinePrefixStream(PrintStream target, String prefix) {
        this.target = target;
        this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
    }

    /** A print stream (UTF-8, autoflush) over a new prefixing stream. */
    static PrintStream printStream(PrintStream target, String prefix) {
        return new PrintStream(new LinePrefixStream(target, prefix), true, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) {
        line.write(b);
        if (b == '\n') {
            emit();
        }
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            write(bytes[i]);
        }
    }

    @Override
    public synchronized void close() {
        if (line.size() > 0) {
            line.write('\n');
            emit();
        }
    }

    private void emit() {
        synchronized (target) {
            target.write(prefix, 0, prefix.length);
            byte[] bytes = line.toByteArray();
            target.write(bytes, 0, bytes.length);
            target.flush();
        }
        line.reset();
    }
}
