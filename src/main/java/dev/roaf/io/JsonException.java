package dev.roaf.io;

/**
 * A JSON text that does not parse, or a parsed JSON value that is not what a caller expected.
 *
 * <p>Parse errors carry the character offset of the problem ({@link #offset()}); errors raised by
 * the typed helpers such as {@link Json#asLong} have no offset and report {@code -1}.
 */
public class JsonException extends IllegalArgumentException {
    /** Version of the serialized form. */
    private static final long serialVersionUID = 1L;

    private final int offset;

    /** An error about a parsed value, with no position in a text. */
    public JsonException(String message) {
        this(message, -1);
    }

    /** An error at character {@code offset} of the text being parsed ({@code -1} if none). */
    public JsonException(String message, int offset) {
        super(message);
        this.offset = offset;
    }

    /** The character offset of the problem in the parsed text, or {@code -1} if not a parse error. */
    public int offset() {
        return offset;
    }
}
