package de.monticore.mlpipelines.tracking.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SuggestionsTest {
    private static final List<String> NAMES = List.of("STDOUT", "MLFLOW", "CSV", "TENSORBOARD", "tracking_uri",
            "run", "replay", "check-config");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(value = {"mlfow|MLFLOW", "CVS|CSV", "csv|CSV", "tensorbaord|TENSORBOARD", "trackinguri|tracking_uri",
            "rn|run", "chek-config|check-config", "wandb|", "x|", "replya|replay", "stdot|STDOUT"}, delimiter = '|')
    void suggestsOnlyANearName(String name, String expected) {
        assertEquals(expected == null ? "" : "; did you mean '" + expected + "'?", Suggestions.didYouMean(name, NAMES));
    }
}
