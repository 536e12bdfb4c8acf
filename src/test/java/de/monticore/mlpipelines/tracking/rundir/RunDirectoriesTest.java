package de.monticore.mlpipelines.tracking.rundir;

import de.monticore.mlpipelines.pipeline.PythonEnvironment;
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

    /**
     * A Python process claims runs with the same rule (os.mkdir, retry on FileExistsError) while
     * Java threads claim in the same directory: every run goes to exactly one claimant.
     */
    @Test
    void javaAndAnotherProcessNeverClaimTheSameRun() throws Exception {
        String claimer = String.join("\n",
                "import os, re, sys",
                "parent, count = sys.argv[1], int(sys.argv[2])",
                "print('ready', flush=True)",
                "sys.stdin.readline()",
                "for _ in range(count):",
                "    while True:",
                "        numbers = [int(m.group(1)) for m in (re.fullmatch(r'run_([0-9]{1,9})', n) for n in os.listdir(parent)) if m]",
                "        name = 'run_%d' % (max(numbers, default=0) + 1)",
                "        try:",
                "            os.mkdir(os.path.join(parent, name))",
                "            print(name, flush=True)",
                "            break",
                "        except FileExistsError:",
                "            pass");
        int perClaimant = 25;
        Process python = new ProcessBuilder(PythonEnvironment.interpreter(), "-c", claimer, temp.toString(),
                String.valueOf(perClaimant)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        var pythonOut = new java.io.BufferedReader(new java.io.InputStreamReader(python.getInputStream()));
        assertEquals("ready", pythonOut.readLine());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<Path>>> javaClaims = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            javaClaims.add(pool.submit(() -> {
                start.await();
                List<Path> claimed = new ArrayList<>();
                for (int i = 0; i < perClaimant; i++) {
                    claimed.add(RunDirectories.claimNext(temp, "backends.csv.dir"));
                }
                return claimed;
            }));
        }
        python.getOutputStream().write('\n');
        python.getOutputStream().flush();
        start.countDown();
        Set<String> all = new HashSet<>();
        for (Future<List<Path>> claims : javaClaims) {
            for (Path run : claims.get()) {
                assertTrue(all.add(run.getFileName().toString()), run.toString());
            }
        }
        pool.shutdown();
        for (int i = 0; i < perClaimant; i++) {
            String name = pythonOut.readLine();
            assertTrue(all.add(name), () -> name + " was claimed twice");
        }
        assertTrue(python.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, python.exitValue());
        assertEquals(3 * perClaimant, all.size());
        assertEquals(3 * perClaimant, RunDirectories.highestRunNumber(temp, "test"));
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
