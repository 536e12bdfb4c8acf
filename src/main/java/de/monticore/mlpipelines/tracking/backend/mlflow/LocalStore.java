package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.TrackingException;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A tracking URI that names a store on this machine rather than a server: {@code sqlite:///FILE}
 * (three slashes: relative to the working directory, four: absolute), {@code file:///DIR}, or a
 * plain directory path. Paths are made absolute, so that a server started elsewhere finds the same
 * store.
 *
 * @param uri  the store as {@code mlflow server --backend-store-uri} takes it, with an absolute path
 * @param path the SQLite file or the store directory
 */
public record LocalStore(String uri, Path path) {

    /** True if the tracking URI is an http(s) server URL, false if it must be a local store. */
    public static boolean isServerUrl(String trackingUri) {
        String lower = trackingUri.strip().toLowerCase(Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://");
    }

    /**
     * Reads a local store URI.
     *
     * @throws TrackingException for other schemes (postgresql://, databricks, …) and malformed paths,
     *                           naming the accepted forms
     */
    public static LocalStore parse(String trackingUri) {
        String text = trackingUri.strip();
        String lower = text.toLowerCase(Locale.ROOT);
        try {
            if (lower.startsWith("sqlite:")) {
                if (!lower.startsWith("sqlite:///")) {
                    throw unsupported(trackingUri);
                }
                String file = text.substring("sqlite:///".length());
                int query = file.indexOf('?');
                if (query >= 0) {
                    file = file.substring(0, query);
                }
                if (file.isEmpty() || file.equals(":memory:")) {
                    throw new TrackingException("tracking URI '" + trackingUri + "' names no database file; a local "
                            + "MLflow server needs a file such as sqlite:///mlflow.db");
                }
                Path path = Path.of(file).toAbsolutePath().normalize();
                return new LocalStore("sqlite:///" + path, path);
            }
            if (lower.startsWith("file:")) {
                Path path = Path.of(URI.create(text)).toAbsolutePath().normalize();
                return new LocalStore(path.toUri().toString(), path);
            }
            if (text.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*")) {
                throw unsupported(trackingUri);
            }
            Path path = Path.of(text).toAbsolutePath().normalize();
            return new LocalStore(path.toUri().toString(), path);
        } catch (IllegalArgumentException e) {  // also InvalidPathException
            throw new TrackingException("tracking URI '" + trackingUri + "' is not a valid local store path: "
                    + e.getMessage());
        }
    }

    /** True for a SQLite store, false for a directory (file) store. */
    public boolean isSqlite() {
        return uri.startsWith("sqlite:");
    }

    /** Where the server keeps this store's artifacts: {@code <store name>-artifacts} next to the store. */
    public Path artifactsDirectory() {
        return path.resolveSibling(path.getFileName() + "-artifacts");
    }

    /** A file next to the store, named after it: {@code .<store name><suffix>}. */
    public Path siblingFile(String suffix) {
        return path.resolveSibling("." + path.getFileName() + suffix);
    }

    private static TrackingException unsupported(String trackingUri) {
        return new TrackingException("tracking URI '" + trackingUri + "' is not supported; expected an http(s):// "
                + "server URL, sqlite:///FILE, file:///DIR or a directory path");
    }
}
