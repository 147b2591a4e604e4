package dev.roaf.data;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A loaded image-classification dataset in the MNIST layout: train and test images {@code [N, rows, cols]} of
 * unsigned bytes, labels {@code [N]} in {@code 0..9}, plus where the data came from (for run records).
 */
public final class MnistData {
    /** The number of classes. */
    public static final int CLASSES = 10;

    /** Training images {@code [N, rows, cols]}. */
    public final IdxArray trainImages;
    /** Training labels {@code [N]}. */
    public final IdxArray trainLabels;
    /** Test images {@code [M, rows, cols]}. */
    public final IdxArray testImages;
    /** Test labels {@code [M]}. */
    public final IdxArray testLabels;
    private final Map<String, Object> provenance;

    /**
     * Checks shapes and labels and wraps the arrays (not copied).
     *
     * @param provenance where the data came from (source, files with SHA-256), copied into {@link #provenance()}
     * @throws DataException if the shapes disagree or a label is not in {@code 0..9}
     */
    public MnistData(IdxArray trainImages, IdxArray trainLabels, IdxArray testImages, IdxArray testLabels,
                     Map<String, Object> provenance) {
        checkPair("train", trainImages, trainLabels);
        checkPair("test", testImages, testLabels);
        if (trainImages.dims[1] != testImages.dims[1] || trainImages.dims[2] != testImages.dims[2]) {
            throw new DataException("train images are " + trainImages.dims[1] + "x" + trainImages.dims[2]
                    + " but test images are " + testImages.dims[1] + "x" + testImages.dims[2]);
        }
        this.trainImages = trainImages;
        this.trainLabels = trainLabels;
        this.testImages = testImages;
        this.testLabels = testLabels;
        this.provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    }

    private static void checkPair(String split, IdxArray images, IdxArray labels) {
        if (images.dims.length != 3) {
            throw new DataException(split + " images: expected dims [N, rows, cols], found "
                    + Arrays.toString(images.dims));
        }
        if (labels.dims.length != 1) {
            throw new DataException(split + " labels: expected dims [N], found " + Arrays.toString(labels.dims));
        }
        if (images.dims[0] != labels.dims[0]) {
            throw new DataException(split + " set: " + images.dims[0] + " images but " + labels.dims[0] + " labels");
        }
        for (int i = 0; i < labels.data.length; i++) {
            if (labels.unsigned(i) >= CLASSES) {
                throw new DataException(split + " labels: label " + i + " is " + labels.unsigned(i)
                        + ", expected 0.." + (CLASSES - 1));
            }
        }
    }

    /** Training examples N. */
    public int trainCount() {
        return trainImages.dims[0];
    }

    /** Test examples M. */
    public int testCount() {
        return testImages.dims[0];
    }

    /** Pixels per image ({@code rows * cols}, 784 for MNIST). */
    public int pixels() {
        return trainImages.dims[1] * trainImages.dims[2];
    }

    /** Where the data came from: "dataset", "source", "sample" and "files" (name, path or resource, SHA-256). */
    public Map<String, Object> provenance() {
        return provenance;
    }
}
