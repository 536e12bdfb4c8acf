package de.monticore.mlpipelines.tracking.backend.mlflow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.monticore.mlpipelines.tracking.backend.mlflow.LocalStore;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The files next to a local store through which processes share one MLflow server: the state file
 * {@code .<store>.mlflow-server.json} (the server's pid and URL), the lock file
 * {@code .<store>.mlflow-server.lock} that serialises starting and releasing, and the lease directory
 * {@code .<store>.mlflow-server.leases/} with one empty file per process id that uses the server, and the
 * server's output {@code .<store>.mlflow-server.log}. All are readable by their owner only, like the spool.
 */
final class ServerStateFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STATE_SUFFIX = ".mlflow-server.json";
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    /**
     * Where a server runs, as the state file records it.
     *
     * @param pid the server's root process
     * @param url its base URL
     */
    record ServerState(long pid, URI url) {
    }

    private final Path stateFile;

    private ServerStateFiles(Path stateFile) {
        this.stateFile = stateFile;
    }

    /** The files of the store's server. */
    static ServerStateFiles of(LocalStore store) {
        return new ServerStateFiles(store.siblingFile(STATE_SUFFIX));
    }

    /** The state file; it also names the store's server within this JVM. */
    Path stateFile() {
        return stateFile;
    }

    /** Work on the files that must not interleave with another process's (starting, releasing). */
    @FunctionalInterface
    interface LockedAction<T> {
        /** Runs while the lock file is locked. */
        T run() throws IOException;
    }

    /**
     * Runs {@code action} while holding the lock file (created when missing), which serialises starting
     * and releasing the server across processes; waits for the lock at most {@code timeout}.
     *
     * @throws IOException if another process holds the lock longer than {@code timeout}, or the
     *                     waiting thread is interrupted
     */
    <T> T underLock(Duration timeout, LockedAction<T> action) throws IOException {
        Path lockFile = sibling(".lock");
        try (FileChannel channel = FileChannel.open(ownerOnlyFile(lockFile), StandardOpenOption.WRITE)) {
            long deadline = System.nanoTime() + timeout.toNanos();
            FileLock lock = channel.tryLock();
            while (lock == null) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(lockFile + " is still locked by another process after "
                            + timeout.toSeconds() + " s");
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for " + lockFile, e);
                }
                lock = channel.tryLock();
            }
            try {
                return action.run();
            } finally {
                lock.release();
            }
        }
    }

    /** The recorded server, or empty when there is no state file or it cannot be read. */
    Optional<ServerState> readState() {
        try {
            JsonNode state = JSON.readTree(stateFile.toFile());
            return Optional.of(new ServerState(state.path("pid").asLong(), URI.create(state.path("url").asText())));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Records the server atomically (a reader sees the old or the new state, never half of one). */
    void writeState(ServerState server, LocalStore store) throws IOException {
        ObjectNode state = JSON.createObjectNode().put("pid", server.pid()).put("url", server.url().toString())
                .put("store", store.uri()).put("started_by_pid", ProcessHandle.current().pid());
        // createTempFile makes it rw------- already; the move keeps that.
        Path temporary = Files.createTempFile(stateFile.getParent(), stateFile.getFileName().toString(), ".tmp",
                OWNER_ONLY_FILE);
        Files.writeString(temporary, state.toPrettyString(), StandardCharsets.UTF_8);
        Files.move(temporary, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Removes the state file once its server is stopped. */
    void deleteState() throws IOException {
        Files.deleteIfExists(stateFile);
    }

    /** Records that this process uses the server. */
    void addOwnLease() throws IOException {
        Path leases = sibling(".leases");
        if (!Files.isDirectory(leases)) {
            try {
                Files.createDirectory(leases, OWNER_ONLY_DIRECTORY);
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another process created it first
            }
        }
        ownerOnly(leases, OWNER_ONLY_DIRECTORY);
        ownerOnlyFile(leases.resolve(Long.toString(ProcessHandle.current().pid())));
    }

    /** Removes this process's lease. */
    void removeOwnLease() throws IOException {
        Files.deleteIfExists(sibling(".leases").resolve(Long.toString(ProcessHandle.current().pid())));
    }

    /** Number of processes other than dead ones that hold a lease; removes the leases of dead processes. */
    int liveLeaseHolders() throws IOException {
        Path leases = sibling(".leases");
        if (!Files.isDirectory(leases)) {
            return 0;
        }
        int live = 0;
        try (Stream<Path> files = Files.list(leases)) {
            for (Path lease : files.toList()) {
                boolean alive;
                try {
                    alive = ProcessHandle.of(Long.parseLong(lease.getFileName().toString()))
                            .map(ProcessHandle::isAlive).orElse(false);
                } catch (NumberFormatException e) {
                    alive = false;
                }
                if (alive) {
                    live++;
                } else {
                    Files.deleteIfExists(lease);
                }
            }
        }
        return live;
    }

    /**
     * The server's output file {@code .<store>.mlflow-server.log}, created readable by its owner only
     * (it may quote requests); an existing one is narrowed to that too.
     */
    Path logFile() throws IOException {
        return ownerOnlyFile(sibling(".log"));
    }

    /**
     * Creates {@code file} (when missing) readable and writable by its owner only, and narrows an existing
     * one: what the server keeps beside the store is as private as the spool.
     */
    private static Path ownerOnlyFile(Path file) throws IOException {
        try {
            Files.createFile(file, OWNER_ONLY_FILE);
        } catch (java.nio.file.FileAlreadyExistsException exists) {
            ownerOnly(file, OWNER_ONLY_FILE);
        }
        return file;
    }

    private static void ownerOnly(Path path, FileAttribute<Set<PosixFilePermission>> permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, permissions.value());
        } catch (UnsupportedOperationException notPosix) {
            // a file system without POSIX permissions: nothing to narrow
        }
    }

    /** The lease directory, {@code .<store>.mlflow-server.leases/}: one file per process id using the server. */
    Path leaseDirectory() {
        return sibling(".leases");
    }

    /** The lock file that serialises starting, releasing and stopping the server. */
    Path lockFile() {
        return sibling(".lock");
    }

    /** The pids of live processes other than this one that hold a lease (dead ones' leases are removed). */
    List<Long> otherLiveLeaseHolders() throws IOException {
        liveLeaseHolders();
        Path leases = sibling(".leases");
        if (!Files.isDirectory(leases)) {
            return List.of();
        }
        long self = ProcessHandle.current().pid();
        try (Stream<Path> files = Files.list(leases)) {
            return files.map(lease -> lease.getFileName().toString()).filter(name -> name.matches("[0-9]+"))
                    .map(Long::parseLong).filter(pid -> pid != self).sorted().toList();
        }
    }

    /** {@code .<store>.mlflow-server<suffix>} beside the state file. */
    private Path sibling(String suffix) {
        String name = stateFile.getFileName().toString();
        return stateFile.resolveSibling(name.substring(0, name.length() - ".json".length()) + suffix);
    }
}
