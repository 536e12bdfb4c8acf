package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.secret.Secrets;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The credentials MLflow's own clients read from the environment: {@code MLFLOW_TRACKING_TOKEN}
 * (sent as a bearer token) or {@code MLFLOW_TRACKING_USERNAME} with {@code MLFLOW_TRACKING_PASSWORD}
 * (HTTP basic authentication). {@link #toString()} never shows them.
 */
public final class Credentials {
    /** Environment variable holding a bearer token. */
    public static final String TOKEN_VARIABLE = "MLFLOW_TRACKING_TOKEN";
    /** Environment variable holding the basic-auth user name. */
    public static final String USERNAME_VARIABLE = "MLFLOW_TRACKING_USERNAME";
    /** Environment variable holding the basic-auth password. */
    public static final String PASSWORD_VARIABLE = "MLFLOW_TRACKING_PASSWORD";

    /** No credentials: requests go out without an Authorization header. */
    public static final Credentials NONE = new Credentials(null, List.of());

    private final String authorizationHeader;
    private final List<String> secrets;

    private Credentials(String authorizationHeader, List<String> secrets) {
        this.authorizationHeader = authorizationHeader;
        this.secrets = secrets;
    }

    /**
     * Reads the credentials from the given environment; a token wins over user name and password.
     *
     * @throws IllegalArgumentException if only one of user name and password is set (names the missing variable)
     */
    public static Credentials fromEnvironment(Map<String, String> environment) {
        String token = nonBlank(environment.get(TOKEN_VARIABLE));
        if (token != null) {
            return new Credentials("Bearer " + token, List.of(token));
        }
        String user = nonBlank(environment.get(USERNAME_VARIABLE));
        String password = nonBlank(environment.get(PASSWORD_VARIABLE));
        if (user == null && password == null) {
            return NONE;
        }
        if (user == null || password == null) {
            throw new IllegalArgumentException((user == null ? USERNAME_VARIABLE : PASSWORD_VARIABLE)
                    + " is not set, but " + (user == null ? PASSWORD_VARIABLE : USERNAME_VARIABLE)
                    + " is; MLflow basic authentication needs both");
        }
        String encoded = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        List<String> secrets = new ArrayList<>(List.of(password, encoded));
        return new Credentials("Basic " + encoded, List.copyOf(secrets));
    }

    /** The value of the Authorization header, if there are credentials. */
    public Optional<String> authorizationHeader() {
        return Optional.ofNullable(authorizationHeader);
    }

    /** The text with every secret of these credentials replaced by a mask. */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String result = text;
        for (String secret : secrets) {
            if (secret.length() >= 4) {
                result = result.replace(secret, Secrets.MASK);
            }
        }
        return result;
    }

    @Override
    public String toString() {
        if (authorizationHeader == null) {
            return "no credentials";
        }
        return authorizationHeader.startsWith("Bearer") ? "bearer token (hidden)" : "basic auth (hidden)";
    }

    private static String nonBlank(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
