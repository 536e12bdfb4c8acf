package de.monticore.mlpipelines.tracking.secret;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecretsTest {
    @Test
    void recognisesSecretKeys() {
        for (String key : new String[]{"password", "DB_PASSWORD", "MLFLOW_TRACKING_TOKEN", "api_key", "apiKey",
                "aws_secret_access_key", "auth", "basic-auth", "credentials", "access_token", "user.pwd"}) {
            assertTrue(Secrets.isSecretKey(key), key);
        }
        for (String key : new String[]{"author", "learning_rate", "experiment_name", "tokenizer_vocab_size",
                "max_tokens"}) {
            assertFalse(Secrets.isSecretKey(key), key);
        }
    }

    @Test
    void recognisesSecretValues() {
        assertTrue(Secrets.looksSecret("password=hunter2"));
        assertTrue(Secrets.looksSecret("https://ana:hunter2@example.org/db"));
        assertTrue(Secrets.looksSecret("ghp_abcdefghijklmnopqrstuvwxyz0123"));
        assertTrue(Secrets.looksSecret("AKIAABCDEFGHIJKLMNOP"));
        assertFalse(Secrets.looksSecret("https://example.org/db"));
        assertFalse(Secrets.looksSecret("0.001"));
    }

    @Test
    void redactsValuesOfSecretEnvironmentVariables() {
        Map<String, String> environment = Map.of("MLFLOW_TRACKING_TOKEN", "tok-123456", "HOME", "/root");
        assertEquals("sent Authorization: Bearer ******** to /root",
                Secrets.redactEnvironmentSecrets("sent Authorization: Bearer tok-123456 to /root", environment));
    }
}
