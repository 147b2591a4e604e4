package dev.roaf.io;

import java.nio.file.Path;

/**
 * A file (or in-memory image of one) whose contents are not what its format requires.
 *
 * <p>The message has the form {@code <file>: <what was expected>, <what was found>}, so that it can
 * be shown to a user as is. I/O failures (a missing file, a full disk) are reported as
 * {@link java.io.IOException}, not as this exception.
 */
public class InvalidFileException extends RuntimeException {
    /** Version of the serialized form. */
    private static final long serialVersionUID = 1L;

    private final String source;

    /** An invalid {@code file}; {@code message} says what was expected and what was found. */
    public InvalidFileException(Path file, String message) {
        this(String.valueOf(file), message, null);
    }

    /**
     * An invalid file or buffer named {@code source} in messages, with the {@code cause} that
     * revealed the problem (may be {@code null}).
     */
    public InvalidFileException(String source, String message, Throwable cause) {
        super(source + ": " + message, cause);
        this.source = source;
    }

    /** The name of the invalid file or buffer, as it appears at the start of the message. */
    public String source() {
        return source;
    }
}
