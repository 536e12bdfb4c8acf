package de.monticore.mlpipelines.tracking.backend.mlflow.server;

import de.monticore.mlpipelines.tracking.backend.mlflow.LocalStore;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.ServerStateFiles.ServerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the local server keeps beside the store is readable by its owner only, like the spool. */
class ServerStateFilesTest {
    @TempDir
    Path temp;

    private static String permissions(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void lockStateLeasesAndLogAreTheOwnersOnly() throws Exception {
        LocalStore store = LocalStore.parse("sqlite:///" + temp.resolve("mlflow.db"));
        ServerStateFiles files = ServerStateFiles.of(store);
        // An older version left a world-readable log: it is narrowed too.
        Path oldLog = Files.writeString(temp.resolve(".mlflow.db.mlflow-server.log"), "old");
        Files.setPosixFilePermissions(oldLog, PosixFilePermissions.fromString("rw-r--r--"));
        files.underLock(Duration.ofSeconds(5), () -> {
            files.writeState(new ServerState(1, URI.create("http://127.0.0.1:5000")), store);
            files.addOwnLease();
            return files.logFile();
        });
        assertEquals("rw-------", permissions(temp.resolve(".mlflow.db.mlflow-server.lock")));
        assertEquals("rw-------", permissions(temp.resolve(".mlflow.db.mlflow-server.json")));
        assertEquals("rw-------", permissions(oldLog));
        Path leases = temp.resolve(".mlflow.db.mlflow-server.leases");
        assertEquals("rwx------", permissions(leases));
        assertEquals("rw-------", permissions(leases.resolve(Long.toString(ProcessHandle.current().pid()))));
    }
}
