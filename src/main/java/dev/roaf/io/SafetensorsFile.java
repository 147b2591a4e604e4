package dev.roaf.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The contents of a safetensors file as read by {@link Safetensors#read}: its tensors by name, in
 * the order of their data in the file, and its {@code __metadata__} strings.
 */
public final class SafetensorsFile {
    private final Map<String, TensorData> tensors;
    private final Map<String, String> metadata;

    SafetensorsFile(LinkedHashMap<String, TensorData> tensors, LinkedHashMap<String, String> metadata) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** The tensors by name, in the order of their data offsets in the file (unmodifiable). */
    public Map<String, TensorData> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} entries, empty if the file has none (unmodifiable). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The tensor called {@code name}.
     *
     * @throws NoSuchElementException listing the names the file does have
     */
    public TensorData tensor(String name) {
        TensorData t = tensors.get(Objects.requireNonNull(name, "name"));
        if (t == null) {
            throw new NoSuchElementException("no tensor " + Json.quote(name) + "; the file has "
                    + tensors.keySet());
        }
        return t;
    }
}
