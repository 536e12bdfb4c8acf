package de.monticore.mlpipelines.tracking.rundir;

import de.monticore.mlpipelines.tracking.TrackingException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Claims run directories {@code run_<N>} below a backend's directory, the layout the CSV and
 * TensorBoard backends share with their Python halves: N is one more than the highest N already
 * there, and the directory is claimed with an exclusive {@code mkdir}, so two threads or two
 * processes never get the same run. A collision (somebody else claimed N first) is retried with a
 * fresh listing.
 *
 * <pre>{@code
 * Path run = RunDirectories.claimNext(Path.of("runs/csv"), "backends.csv.dir");  // runs/csv/run_3
 * }</pre>
 */
public final class RunDirectories {
    /** The prefix of every run directory's name. */
    public static final String RUN_PREFIX = "run_";

    /** Nine digits keep N an int; longer names are somebody else's and are ignored. */
    private static final Pattern RUN_NAME = Pattern.compile(Pattern.quote(RUN_PREFIX) + "([0-9]{1,9})");

    /** Each failed attempt means another claimant succeeded, so this bounds only pathological cases. */
    private static final int MAX_ATTEMPTS = 10_000;

    private RunDirectories() {
    }

    /**
     * Creates {@code parent} if needed and claims the next free {@code run_<N>} inside it.
     *
     * @param parent the directory that holds one sub-directory per run
     * @param label  names the setting in error messages, e.g. {@code backends.csv.dir}
     * @return the newly created run directory (absolute, normalized)
     * @throws TrackingException when {@code parent} is a file, cannot be created or is not writable;
     *                           the message names the path
     */
    public static Path claimNext(Path parent, String label) {
        Path directory = parent.toAbsolutePath().normalize();
        ensureDirectory(directory, label);
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Path candidate = directory.resolve(RUN_PREFIX + (highestRunNumber(directory, label) + 1));
            try {
                return Files.createDirectory(candidate);
            } catch (FileAlreadyExistsException claimedByOther) {
                // Another thread or process won this number; look again.
            } catch (IOException e) {
                throw new TrackingException(label + ": cannot create run directory '" + candidate + "': "
                        + describe(e), e);
            }
        }
        throw new TrackingException(label + ": gave up claiming a run directory in '" + directory + "' after "
                + MAX_ATTEMPTS + " collisions");
    }

    /**
     * The highest N of the {@code run_<N>} entries in {@code directory}, 0 when there is none.
     * Files count too, because a file named {@code run_<N>} blocks that name as well.
     *
     * @throws TrackingException when the directory cannot be listed
     */
    public static int highestRunNumber(Path directory, String label) {
        int highest = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, RUN_PREFIX + "*")) {
            for (Path entry : entries) {
                Matcher matcher = RUN_NAME.matcher(entry.getFileName().toString());
                if (matcher.matches()) {
                    highest = Math.max(highest, Integer.parseInt(matcher.group(1)));
                }
            }
        } catch (IOException e) {
            throw new TrackingException(label + ": cannot list '" + directory + "': " + describe(e), e);
        }
        return highest;
    }

    private static void ensureDirectory(Path directory, String label) {
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new TrackingException(label + ": '" + directory + "' is not a directory");
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new TrackingException(label + ": cannot create directory '" + directory + "': " + describe(e), e);
        }
    }

    /** A short reason for an I/O failure, without repeating the path the caller already names. */
    public static String describe(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "'" + ((FileAlreadyExistsException) e).getFile() + "' exists and is not a directory";
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
