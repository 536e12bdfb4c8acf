package de.monticore.mlpipelines.tracking.tracker;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParamBlacklistTest {
    private static ParamBlacklist blacklist(String... patterns) {
        return new ParamBlacklist(List.of(patterns).stream().map(Pattern::compile).toList());
    }

    @Test
    void aRegexMustMatchTheWholeKey() {
        ParamBlacklist blacklist = blacklist("context");
        assertTrue(blacklist.blocks("context"));
        assertFalse(blacklist.blocks("context_size"));
        assertFalse(blacklist.blocks("max_context"));
    }

    @Test
    void aNameFollowedByDotStarBlocksTheKeysUnderThatName() {
        ParamBlacklist blacklist = blacklist("optimizer.*");
        assertTrue(blacklist.blocks("optimizer.beta1"));
        assertTrue(blacklist.blocks("optimizer.adam.eps"));
        assertFalse(blacklist.blocks("optimizer"));
        assertFalse(blacklist.blocks("optimizers"));
        assertFalse(blacklist.blocks("optimizer_momentum"));
        assertFalse(blacklist.blocks("optimizerXbeta"), "the dot is literal");
    }

    @Test
    void aDottedNameFollowedByDotStarBlocksTheKeysUnderIt() {
        ParamBlacklist blacklist = blacklist("model.encoder.*");
        assertTrue(blacklist.blocks("model.encoder.depth"));
        assertFalse(blacklist.blocks("model.encoder"));
        assertFalse(blacklist.blocks("model.decoder.depth"));
        assertFalse(blacklist.blocks("modelXencoder.depth"));
    }

    @Test
    void everyOtherPatternIsAWholeKeyRegex() {
        ParamBlacklist blacklist = blacklist("_.*", ".*password.*", "^optimizer.*", "lr|momentum");
        assertTrue(blacklist.blocks("_internal"));
        assertTrue(blacklist.blocks("_"));
        assertFalse(blacklist.blocks("a_b"));
        assertTrue(blacklist.blocks("db_password_hash"));
        assertTrue(blacklist.blocks("optimizer"));
        assertTrue(blacklist.blocks("optimizers"));
        assertTrue(blacklist.blocks("optimizer.beta1"));
        assertTrue(blacklist.blocks("lr"));
        assertFalse(blacklist.blocks("lr_decay"));
        assertFalse(blacklist.blocks("epochs"));
    }

    @Test
    void anchorsStillWorkButAreRedundant() {
        ParamBlacklist blacklist = blacklist("^_", "^seed$");
        assertTrue(blacklist.blocks("_"));
        assertFalse(blacklist.blocks("_internal"));
        assertTrue(blacklist.blocks("seed"));
        assertFalse(blacklist.blocks("seed2"));
    }

    @Test
    void filterKeepsTheAllowedParamsInOrder() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("lr", "0.1");
        params.put("optimizer.beta1", "0.9");
        params.put("context", "512");
        params.put("context_size", "512");
        params.put("epochs", "3");
        assertEquals(List.of("lr", "context_size", "epochs"),
                List.copyOf(blacklist("optimizer.*", "context").filter(params).keySet()));
    }

    @Test
    void hintsOnlyAtPatternsWrittenForMatchingAnywhere() {
        assertEquals(Optional.of("'^_' has to match the whole key, not just its start; write '^_.*' to block keys "
                + "by their start"), ParamBlacklist.anchorHint("^_"));
        assertEquals(Optional.empty(), ParamBlacklist.anchorHint("^_.*"));
        assertEquals(Optional.empty(), ParamBlacklist.anchorHint("^seed$"));
        assertEquals(Optional.empty(), ParamBlacklist.anchorHint("_.*"));
        assertEquals(Optional.empty(), ParamBlacklist.anchorHint("context"));
    }
}
