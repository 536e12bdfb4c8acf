package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.Credentials;
import de.monticore.mlpipelines.tracking.secret.Secrets;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * HTTP to one MLflow server over {@code java.net.http}: adds the {@link Credentials} as an
 * Authorization header, retries connection errors, HTTP 429 and 5xx answers by the
 * {@link RetryPolicy} (honouring Retry-After up to its longest delay), and turns every failure into
 * an {@link MLflowRequestException} saying what was attempted and what the server answered, with
 * credentials masked. Thread-safe.
 */
final class MLflowHttpTransport {
    private final URI serverUrl;
    private final Credentials credentials;
    private final RetryPolicy retryPolicy;
    private final Duration requestTimeout;
    private final HttpClient http;

    /**
     * @throws TrackingException if the URL is not http(s) or carries user info (credentials belong in the environment)
     */
    MLflowHttpTransport(URI serverUrl, Credentials credentials, RetryPolicy retryPolicy, Duration connectTimeout,
                        Duration requestTimeout) {
        this.serverUrl = checkServerUrl(serverUrl);
        this.credentials = credentials;
        this.retryPolicy = retryPolicy;
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
    }

    /** The server's base URL, without a trailing slash. */
    URI serverUrl() {
        return serverUrl;
    }

    /** The answer timeout of one attempt. */
    Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * Sends a request to {@code target} and returns the answer's body: a GET when
     * {@code jsonBody} is null, else {@code method} with the JSON text.
     */
    byte[] send(String action, String method, URI target, String jsonBody) {
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(requestTimeout);
        if (jsonBody == null) {
            request.GET();
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
        }
        return execute(action, method, target, request).body();
    }

    /** Sends a prepared request with credentials and retries; returns the 2xx answer. */
    HttpResponse<byte[]> execute(String action, String method, URI target, HttpRequest.Builder request) {
        credentials.authorizationHeader().ifPresent(value -> request.header("Authorization", value));
        HttpRequest built = request.build();
        for (int attempt = 1; ; attempt++) {
            HttpResponse<byte[]> response;
            try {
                response = http.send(built, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                if (attempt >= retryPolicy.maxAttempts()) {
                    throw failure(action, method, target, 0, null, "no answer after " + attempt + " attempt(s): "
                            + describe(e), e);
                }
                pause(retryPolicy.delayAfter(attempt), action);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure(action, method, target, 0, null, "interrupted", e);
            }
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return response;
            }
            boolean retriable = status == 429 || status >= 500;
            if (!retriable || attempt >= retryPolicy.maxAttempts()) {
                Optional<MLflowJson.ErrorAnswer> error = MLflowJson.errorAnswer(response.body());
                String errorCode = error.map(MLflowJson.ErrorAnswer::errorCode).orElse(null);
                String message = error.map(answer -> answer.errorCode() + ": " + answer.message())
                        .orElse(snippet(response.body()));
                String attempts = retriable ? " after " + attempt + " attempt(s)" : "";
                throw failure(action, method, target, status, errorCode, "HTTP " + status + attempts + ": " + message,
                        null);
            }
            pause(retryAfter(response).orElse(retryPolicy.delayAfter(attempt)), action);
        }
    }

    /** True if the server answers {@code GET /health} with 200 (one attempt, no retries). */
    boolean isHealthy() {
        try {
            HttpRequest request = HttpRequest.newBuilder(serverUrl.resolve(serverUrl.getPath() + "/health"))
                    .timeout(Duration.ofSeconds(2)).GET().build();
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The exception for a failed request, its message redacted: "MLflow: could not ACTION (METHOD URL): ANSWER". */
    MLflowRequestException failure(String action, String method, URI target, int status, String errorCode,
                                   String answer, Throwable cause) {
        String message = "MLflow: could not " + action + " (" + method + " " + target + "): " + answer;
        message = Secrets.redactEnvironmentSecrets(credentials.redact(message));
        // The cause's own message could quote a header; keep only its type.
        Throwable safeCause = cause == null ? null : new TrackingException(cause.getClass().getName());
        return new MLflowRequestException(message, status, errorCode, safeCause);
    }

    /** The start of an answer's text, for messages. */
    static String snippet(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return text.length() > 500 ? text.substring(0, 500) + "…" : text;
    }

    private Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(value -> {
            try {
                Duration wait = Duration.ofSeconds(Long.parseLong(value.strip()));
                return Optional.of(wait.compareTo(retryPolicy.maxDelay()) > 0 ? retryPolicy.maxDelay() : wait);
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    private static void pause(Duration wait, String action) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrackingException("interrupted while waiting to retry: " + action, e);
        }
    }

    private static String describe(IOException e) {
        if (e instanceof ConnectException) {
            return "connection refused or unreachable";
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "connection timed out";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer in time";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }

    private static URI checkServerUrl(URI url) {
        String scheme = url.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) || url.getHost() == null) {
            throw new TrackingException("MLflow server URL '" + url + "' is not an http(s)://host[:port] URL");
        }
        if (url.getRawUserInfo() != null) {
            throw new TrackingException("MLflow server URL " + url.getScheme() + "://" + Secrets.MASK + "@"
                    + url.getHost() + " contains credentials; put them in " + Credentials.USERNAME_VARIABLE + "/"
                    + Credentials.PASSWORD_VARIABLE + " or " + Credentials.TOKEN_VARIABLE + " instead");
        }
        String text = url.toString().replaceAll("/+$", "");
        return URI.create(text);
    }
}
