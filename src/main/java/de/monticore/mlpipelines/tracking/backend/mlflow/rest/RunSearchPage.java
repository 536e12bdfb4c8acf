package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

import java.util.List;

/**
 * One page of a run search.
 *
 * @param runs          the runs on this page
 * @param nextPageToken token for the next page, {@code null} on the last page
 */
public record RunSearchPage(List<MLflowRun> runs, String nextPageToken) {
    public RunSearchPage {
        runs = List.copyOf(runs);
        nextPageToken = nextPageToken == null || nextPageToken.isEmpty() ? null : nextPageToken;
    }
}
