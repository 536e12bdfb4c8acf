package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link NumberedRuns} against a real MLflow server: the highest number, found by ordered searches.
 * Each case runs twice: in a small experiment, which one search reads whole, and padded with other
 * "Run …" names, so that the searches by name length must find it.
 */
class NumberedRunsTest {
    /** More "Run …" runs than the first search reads. */
    private static final int PADDING = 25;

    private final MLflowRestClient client = TestMLflowServer.client();

    private String newExperiment() {
        return client.createExperiment("numbered-" + UUID.randomUUID());
    }

    /** A new experiment; when padded, with runs named "Run pad-NN" (not numbers, longer than the cases' names). */
    private String newExperiment(boolean padded) {
        String experimentId = newExperiment();
        for (int i = 0; padded && i < PADDING; i++) {
            run(experimentId, String.format("Run pad-%02d", i), Map.of());
        }
        return experimentId;
    }

    private MLflowRun run(String experimentId, String name, Map<String, String> tags) {
        return client.createRun(experimentId, name, System.currentTimeMillis(), tags);
    }

    @ParameterizedTest(name = "padded: {0}")
    @ValueSource(booleans = {false, true})
    void anEmptyExperimentStartsAtOne(boolean padded) {
        String experimentId = newExperiment(padded);
        assertEquals(0, NumberedRuns.highestNumber(client, experimentId));
        assertEquals("Run 1", NumberedRuns.create(client, experimentId, System.currentTimeMillis(), Map.of()).name());
    }

    @ParameterizedTest(name = "padded: {0}")
    @ValueSource(booleans = {false, true})
    void numbersCompareAsNumbersNotAsTextAndDeletedRunsCount(boolean padded) {
        String experimentId = newExperiment(padded);
        for (String name : new String[]{"Run 9", "Run 10", "Run 99", "Run 2"}) {
            run(experimentId, name, Map.of());
        }
        assertEquals(99, NumberedRuns.highestNumber(client, experimentId));
        client.deleteRun(run(experimentId, "Run 100", Map.of()).id());
        assertEquals(100, NumberedRuns.highestNumber(client, experimentId));
    }

    @ParameterizedTest(name = "padded: {0}")
    @ValueSource(booleans = {false, true})
    void namesOfAnotherFormAndClaimsInProgressAreSkippedWhateverTheirLength(boolean padded) {
        String experimentId = newExperiment(padded);
        run(experimentId, "Run 41", Map.of());
        run(experimentId, "Run 0077", Map.of()); // a leading zero: not a number we hand out
        run(experimentId, "Run abcdefgh", Map.of());
        run(experimentId, "run 900", Map.of()); // the store's LIKE may ignore case; the name is not ours
        run(experimentId, "Run 4x", Map.of());
        String claimStart = Long.toString(System.currentTimeMillis());
        run(experimentId, "Run 500", Map.of(NumberedRuns.CLAIM_TAG, claimStart)); // a rival still claiming
        assertEquals(41, NumberedRuns.highestNumber(client, experimentId));
        String stale = Long.toString(System.currentTimeMillis() - NumberedRuns.STALE_CLAIM.toMillis() - 1000);
        run(experimentId, "Run 450", Map.of(NumberedRuns.CLAIM_TAG, stale)); // its creator died: it counts
        assertEquals(450, NumberedRuns.highestNumber(client, experimentId));
    }

    @Test
    void aLengthWithOnlyOtherNamesFallsBackToTheNextShorterOne() {
        String experimentId = newExperiment();
        for (int i = 0; i < 120; i++) { // more than one page of same-length names that are not numbers
            run(experimentId, "Run x" + String.format("%03d", i), Map.of());
        }
        run(experimentId, "Run 812", Map.of());
        assertEquals(812, NumberedRuns.highestNumber(client, experimentId));
        assertEquals("Run 813", NumberedRuns.create(client, experimentId, System.currentTimeMillis(), Map.of()).name());
    }
}
