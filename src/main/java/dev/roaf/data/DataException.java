package dev.roaf.data;

/**
 * An unchecked error about input data: a missing, malformed, truncated or unexpected data file, or a failed download.
 * Messages are one line and name the file (or URL), what was expected and what was found, so that the CLI can show
 * them to the user as they are.
 */
public class DataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a one-line, user-facing message. */
    public DataException(String message) {
        super(message);
    }

    /** Creates an exception with a one-line, user-facing message and the underlying cause (kept for debugging). */
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
