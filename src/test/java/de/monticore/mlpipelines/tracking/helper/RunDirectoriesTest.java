package de.monticore.mlpipelines.tracking.helper;

import de.monticore.mlpipelines.tracking.TrackingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunDirectoriesTest {
    @TempDir
    Path temp;

    @Test
    void claimsRunOneInANewDirectory() {
        Path parent = temp.resolve("a/b/runs");
        Path run = RunDirectories.claimNext(parent, "backends.csv.dir");
        assertEquals(parent.resolve("run_1"), run);
        assertTrue(Files.isDirectory(run));
    }

    @Test
    void claimsOneMoreThanTheHighestExistingNumber() throws Exception {
        Files.createDirectories(temp.resolve("run_1"));
        Files.createDirectories(temp.resolve("run_7"));
        Files.createDirectories(temp.resolve("run_x"));
        Files.createDirectories(temp.resolve("run_12345678901"));
        Files.createFile(temp.resolve("run_9"));
        assertEquals(temp.resolve("run_10"), RunDirectories.claimNext(temp, "backends.csv.dir"));
        assertEquals(temp.resolve("run_11"), RunDirectories.claimNext(temp, "backends.csv.dir"));
    }

    @Test
    void concurrentClaimsGetDistinctDirectories() throws Exception {
        int threads = 8;
        int claimsPerThread = 5;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<Path>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Callable<List<Path>> claimer = () -> {
                start.await();
                List<Path> claimed = new ArrayList<>();
                for (int i = 0; i < claimsPerThread; i++) {
                    claimed.add(RunDirectories.claimNext(temp, "backends.csv.dir"));
                }
                return claimed;
            };
            results.add(pool.submit(claimer));
        }
        start.countDown();
        Set<Path> all = new HashSet<>();
        for (Future<List<Path>> result : results) {
            all.addAll(result.get());
        }
        pool.shutdown();
        assertEquals(threads * claimsPerThread, all.size());
        assertEquals(threads * claimsPerThread, RunDirectories.highestRunNumber(temp, "test"));
    }

    @Test
    void rejectsAFileWhereTheDirectoryBelongs() throws Exception {
        Path file = Files.createFile(temp.resolve("not-a-dir"));
        TrackingException error = assertThrows(TrackingException.class,
                () -> RunDirectories.claimNext(file, "backends.csv.dir"));
        assertEquals("backends.csv.dir: '" + file + "' is not a directory", error.getMessage());
    }

    @Test
    void rejectsADirectoryBelowAFile() throws Exception {
        Path file = Files.createFile(temp.resolve("plain-file"));
        TrackingException error = assertThrows(TrackingException.class,
                () -> RunDirectories.claimNext(file.resolve("runs"), "backends.tensorboard.log_dir"));
        assertTrue(error.getMessage().startsWith("backends.tensorboard.log_dir: cannot create directory '"
                + file.resolve("runs") + "'"), error.getMessage());
        assertTrue(error.getMessage().endsWith("Not a directory"), error.getMessage());
    }

    @Test
    void reportsADirectoryThatIsNotWritable() throws Exception {
        Path readOnly;
        if ("root".equals(System.getProperty("user.name"))) {
            // Root ignores permission bits; /proc refuses new directories for everybody.
            readOnly = Path.of("/proc/self");
        } else {
            readOnly = Files.createDirectory(temp.resolve("read-only"));
            Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        }
        TrackingException error = assertThrows(TrackingException.class,
                () -> RunDirectories.claimNext(readOnly, "backends.csv.dir"));
        assertTrue(error.getMessage().startsWith("backends.csv.dir: cannot create run directory '"
                + readOnly.toRealPath().resolve("run_1") + "': ")
                || error.getMessage().startsWith("backends.csv.dir: cannot create run directory '"
                + readOnly.resolve("run_1") + "': "), error.getMessage());
    }
}
