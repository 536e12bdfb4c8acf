package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRun;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RunSearchPage;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Creates runs named "Run N", N one more than the highest number used in the experiment, such that
 * concurrent creators (threads, processes, machines) end up with distinct names. The server is the
 * only shared state, and no state is kept in the JVM:
 *
 * <ol>
 *   <li>create our run as "pending", tagged {@value #CLAIM_TAG} = the time the claim began;</li>
 *   <li>let older claims go first: while a run with an older claim is still claiming, wait (at most
 *       {@link #MAX_DEFERRAL}; this only saves rounds, safety comes from step 4);</li>
 *   <li>read the highest N among the experiment's runs (deleted ones too, so that a number is not
 *       handed out twice while its old run can still be restored), with a few ordered searches
 *       whatever the number of runs ({@link #highestNumber}). Names of another form ("Run 007" too)
 *       are ignored, and so are runs still claiming; a claim older than {@link #STALE_CLAIM} is from a
 *       crashed creator and counts;</li>
 *   <li>rename our run to "Run N+1" and read all runs with that name. If ours is the only one, the
 *       name is ours: remove the claim tag. Otherwise give the name up (back to "pending") and go back
 *       to 2 after a random pause.</li>
 * </ol>
 *
 * Two runs can never both keep a name: of two runs that took the name, the later one's check sees
 * the earlier one (the store is consistent), and a run that kept its name never gives it up. Because
 * claims in progress do not count in step 3, a name given up leaves no gap in the numbering.
 */
public final class NumberedRuns {
    /** The prefix of generated run names. */
    public static final String PREFIX = "Run ";
    /** Tag a run carries while it claims its name: the claim's start, ms since the epoch. */
    public static final String CLAIM_TAG = "mlpipelines.run_name_claim";
    /** A claim this old is from a creator that died; its number counts as used. */
    public static final Duration STALE_CLAIM = Duration.ofMinutes(2);
    /** Longest wait for older claims before competing anyway. */
    public static final Duration MAX_DEFERRAL = Duration.ofSeconds(20);
    /** Longest number of a "Run N" name. */
    private static final int MAX_DIGITS = 18;
    // No leading zero: then text order within one length is number order (see highestNumber).
    private static final Pattern NUMBERED = Pattern.compile("Run ([1-9][0-9]{0," + (MAX_DIGITS - 1) + "})");
    private static final int MAX_ROUNDS = 200;
    private static final int PAGE_SIZE = 1000;
    private static final int LENGTH_PAGE_SIZE = 10;
    private static final int RECENT_RUNS = 20;

    private NumberedRuns() {
    }

    /**
     * Creates a run named "Run N" in the experiment.
     *
     * @param tags tags given to the run at creation
     * @throws TrackingException if no distinct name was won after many rounds (a very busy experiment)
     */
    public static MLflowRun create(MLflowRestClient client, String experimentId, long startTimeMillis,
                                   Map<String, String> tags) {
        long claimStart = System.currentTimeMillis();
        Map<String, String> claimingTags = new LinkedHashMap<>(tags);
        claimingTags.put(CLAIM_TAG, Long.toString(claimStart));
        MLflowRun run = client.createRun(experimentId, "pending", startTimeMillis, claimingTags);
        long deferUntil = System.nanoTime() + MAX_DEFERRAL.toNanos();
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            while (System.nanoTime() < deferUntil && hasOlderClaim(client, experimentId, run.id(), claimStart)) {
                sleepRandomly(Duration.ofMillis(40), Duration.ofMillis(120));
            }
            String name = PREFIX + (highestNumber(client, experimentId) + 1);
            client.renameRun(run.id(), name);
            if (isOnlyRunNamed(client, experimentId, name, run.id())) {
                client.deleteTag(run.id(), CLAIM_TAG);
                Map<String, String> finalTags = new LinkedHashMap<>(run.tags());
                finalTags.remove(CLAIM_TAG);
                return new MLflowRun(run.id(), run.experimentId(), name, run.status(), run.startTime(), run.endTime(),
                        run.artifactUri(), finalTags);
            }
            // Give the name up at once, so that a rival checking later does not count us.
            client.renameRun(run.id(), "pending");
            sleepRandomly(Duration.ZERO, Duration.ofMillis(Math.min(25L * round, 500)));
        }
        throw new TrackingException("could not give run " + run.id() + " in experiment " + experimentId
                + " a distinct \"Run N\" name after " + MAX_ROUNDS + " rounds of competing with other pipelines");
    }

    private static boolean hasOlderClaim(MLflowRestClient client, String experimentId, String runId,
                                         long claimStart) {
        long staleBefore = System.currentTimeMillis() - STALE_CLAIM.toMillis();
        RunSearchPage page = client.searchRuns(List.of(experimentId), "tags.`" + CLAIM_TAG + "` LIKE '%'",
                "ACTIVE_ONLY", PAGE_SIZE, null);
        for (MLflowRun other : page.runs()) {
            String started = other.tags().get(CLAIM_TAG);
            if (other.id().equals(runId) || !isClaimInProgress(started, staleBefore)) {
                continue;
            }
            long otherStart = Long.parseLong(started);
            if (otherStart < claimStart || otherStart == claimStart && other.id().compareTo(runId) < 0) {
                return true;
            }
        }
        return false;
    }

    /** The number of a "Run N" name (N without leading zeros), or -1 for a name of another form. */
    public static long numberOf(String runName) {
        Matcher matcher = NUMBERED.matcher(runName == null ? "" : runName);
        return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
    }

    /**
     * The highest N of the experiment's settled "Run N" runs, 0 if there is none, with a number of
     * requests that does not grow with the number of runs (one for up to {@value #RECENT_RUNS} "Run …" runs,
     * three as a rule beyond).
     *
     * <p>One search reads the newest {@value #RECENT_RUNS} "Run …" runs; if they are all there are, the
     * answer is among them. Otherwise: names are compared as text by the store, so numbers are compared
     * by length first. The newest runs tell the likely length d of the highest number; one search for a longer "Run …" name
     * ({@code LIKE 'Run ' + '_' * (d + 1) + '%'}) confirms it (if there is one, a binary search over
     * the lengths finds the longest). Then the names of exactly that length are read highest first
     * ({@code ORDER BY run_name DESC}), where text order is number order; the first settled "Run N"
     * among them is the answer. If a length holds none (other names of that length, or only claims
     * in progress), the next shorter length is read.
     */
    public static long highestNumber(MLflowRestClient client, String experimentId) {
        long staleBefore = System.currentTimeMillis() - STALE_CLAIM.toMillis();
        int likely = 0;
        long highestRecent = 0;
        RunSearchPage recentRuns = client.searchRuns(List.of(experimentId),
                "attributes.run_name LIKE '" + PREFIX + "%'", "ALL", RECENT_RUNS, null);
        for (MLflowRun recent : recentRuns.runs()) {
            long number = numberOf(recent.name());
            if (number > 0) {
                likely = Math.max(likely, Long.toString(number).length());
                if (!isClaimInProgress(recent.tags().get(CLAIM_TAG), staleBefore)) {
                    highestRecent = Math.max(highestRecent, number);
                }
            }
        }
        if (recentRuns.nextPageToken() == null) {
            return highestRecent; // that page held every "Run …" run of the experiment
        }
        int longest = likely;
        if (likely == 0 || hasNameOfAtLeast(client, experimentId, likely + 1)) {
            // Names longer than the newest ones (or no numbered name among those): search the lengths.
            int shortest = likely == 0 ? 0 : likely + 1;
            longest = MAX_DIGITS;
            while (shortest < longest) {
                int middle = (shortest + longest + 1) / 2;
                if (hasNameOfAtLeast(client, experimentId, middle)) {
                    shortest = middle;
                } else {
                    longest = middle - 1;
                }
            }
        }
        for (int digits = longest; digits >= 1; digits--) {
            String pageToken = null;
            do {
                RunSearchPage page = client.searchRuns(List.of(experimentId),
                        "attributes.run_name LIKE '" + PREFIX + "_".repeat(digits) + "'", "ALL", LENGTH_PAGE_SIZE,
                        pageToken, List.of("attributes.run_name DESC"));
                for (MLflowRun run : page.runs()) {
                    long number = numberOf(run.name());
                    if (number > 0 && !isClaimInProgress(run.tags().get(CLAIM_TAG), staleBefore)) {
                        return number;
                    }
                }
                pageToken = page.nextPageToken();
            } while (pageToken != null);
        }
        return 0;
    }

    /** True if a run (deleted ones too) has a "Run …" name of at least {@code characters} after the prefix. */
    private static boolean hasNameOfAtLeast(MLflowRestClient client, String experimentId, int characters) {
        return !client.searchRuns(List.of(experimentId),
                "attributes.run_name LIKE '" + PREFIX + "_".repeat(characters) + "%'", "ALL", 1, null).runs().isEmpty();
    }

    private static boolean isClaimInProgress(String claimStart, long staleBefore) {
        if (claimStart == null) {
            return false;
        }
        try {
            return Long.parseLong(claimStart) >= staleBefore;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isOnlyRunNamed(MLflowRestClient client, String experimentId, String name, String runId) {
        RunSearchPage page = client.searchRuns(List.of(experimentId),
                "attributes.run_name = '" + name + "'", "ALL", 2, null);
        return page.runs().stream().allMatch(run -> run.id().equals(runId));
    }

    private static void sleepRandomly(Duration from, Duration to) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(from.toMillis(), to.toMillis() + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrackingException("interrupted while choosing a run name", e);
        }
    }
}
