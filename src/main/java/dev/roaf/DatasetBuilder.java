package dev.roaf;

/**
 * Builds a {@link Dataset} from the caller's arrays: sequences {@code float[examples][steps][features]}
 * or vectors {@code float[examples][features]}, with class labels or real-valued targets.
 *
 * <p>Required: the training examples, through one of the {@code setTrain} methods. Optional
 * ({@code opt}-prefixed): a test set (by default the training examples are also the test set), a
 * name, and the number of classes. Every array is copied by {@link #build()}, so the caller may
 * reuse its arrays afterwards. Validation happens in {@link #build()}; its messages name the array
 * and index that do not fit.
 */
public final class DatasetBuilder {
    private String name = "custom";
    private Integer classes;
    private Examples train;
    private Examples test;

    DatasetBuilder() {
    }

    /**
     * Sets the training examples: sequences with one class label each, read after the last step.
     *
     * @param sequences {@code float[examples][steps][features]}; every sequence has the same steps and features
     * @param labels    {@code int[examples]}, each in {@code [0, classes)}
     * @return this builder
     */
    public DatasetBuilder setTrain(float[][][] sequences, int[] labels) {
        train = new Examples("train", sequences, null, TargetType.CLASS, labels, null, null);
        return this;
    }

    /**
     * Sets the training examples: sequences with a class label per step (sequence to sequence; the
     * model needs a per-step head). A negative label marks a step with no loss and no accuracy.
     *
     * @param sequences {@code float[examples][steps][features]}
     * @param labels    {@code int[examples][steps]}, each in {@code [0, classes)} or negative
     * @return this builder
     */
    public DatasetBuilder setTrain(float[][][] sequences, int[][] labels) {
        train = new Examples("train", sequences, null, TargetType.CLASS_PER_STEP, null, labels, null);
        return this;
    }

    /**
     * Sets the training examples: sequences with real-valued targets (mean squared error).
     *
     * @param sequences {@code float[examples][steps][features]}
     * @param targets   {@code float[examples][outputs]}
     * @return this builder
     */
    public DatasetBuilder setTrain(float[][][] sequences, float[][] targets) {
        train = new Examples("train", sequences, null, TargetType.REGRESSION, null, null, targets);
        return this;
    }

    /**
     * Sets the training examples: vectors with one class label each.
     *
     * @param vectors {@code float[examples][features]}
     * @param labels  {@code int[examples]}, each in {@code [0, classes)}
     * @return this builder
     */
    public DatasetBuilder setTrain(float[][] vectors, int[] labels) {
        train = new Examples("train", null, vectors, TargetType.CLASS, labels, null, null);
        return this;
    }

    /**
     * Sets the training examples: vectors with real-valued targets (mean squared error).
     *
     * @param vectors {@code float[examples][features]}
     * @param targets {@code float[examples][outputs]}
     * @return this builder
     */
    public DatasetBuilder setTrain(float[][] vectors, float[][] targets) {
        train = new Examples("train", null, vectors, TargetType.REGRESSION, null, null, targets);
        return this;
    }

    /**
     * Sets the test examples (sequences, one class label each); shapes must match the training set.
     *
     * @param sequences {@code float[examples][steps][features]}
     * @param labels    {@code int[examples]}
     * @return this builder
     */
    public DatasetBuilder optTest(float[][][] sequences, int[] labels) {
        test = new Examples("test", sequences, null, TargetType.CLASS, labels, null, null);
        return this;
    }

    /**
     * Sets the test examples (sequences, a class label per step); shapes must match the training set.
     *
     * @param sequences {@code float[examples][steps][features]}
     * @param labels    {@code int[examples][steps]}
     * @return this builder
     */
    public DatasetBuilder optTest(float[][][] sequences, int[][] labels) {
        test = new Examples("test", sequences, null, TargetType.CLASS_PER_STEP, null, labels, null);
        return this;
    }

    /**
     * Sets the test examples (sequences, real-valued targets); shapes must match the training set.
     *
     * @param sequences {@code float[examples][steps][features]}
     * @param targets   {@code float[examples][outputs]}
     * @return this builder
     */
    public DatasetBuilder optTest(float[][][] sequences, float[][] targets) {
        test = new Examples("test", sequences, null, TargetType.REGRESSION, null, null, targets);
        return this;
    }

    /**
     * Sets the test examples (vectors, one class label each); shapes must match the training set.
     *
     * @param vectors {@code float[examples][features]}
     * @param labels  {@code int[examples]}
     * @return this builder
     */
    public DatasetBuilder optTest(float[][] vectors, int[] labels) {
        test = new Examples("test", null, vectors, TargetType.CLASS, labels, null, null);
        return this;
    }

    /**
     * Sets the test examples (vectors, real-valued targets); shapes must match the training set.
     *
     * @param vectors {@code float[examples][features]}
     * @param targets {@code float[examples][outputs]}
     * @return this builder
     */
    public DatasetBuilder optTest(float[][] vectors, float[][] targets) {
        test = new Examples("test", null, vectors, TargetType.REGRESSION, null, null, targets);
        return this;
    }

    /**
     * Sets the dataset's name, shown in messages and run records.
     *
     * @param name a non-blank name (default {@code custom})
     * @return this builder
     */
    public DatasetBuilder optName(String name) {
        this.name = name;
        return this;
    }

    /**
     * Sets the number of classes C (class targets only).
     *
     * @param classes C, at least 1 and above every label (default: the largest label plus 1)
     * @return this builder
     */
    public DatasetBuilder optClasses(int classes) {
        this.classes = classes;
        return this;
    }

    /**
     * Checks and copies the arrays into a new dataset.
     *
     * @return the dataset
     * @throws IllegalArgumentException if the training set is missing or empty, shapes are ragged,
     *                                  the test set does not match the training set, a label is out
     *                                  of range, or a value is not finite; the message names the array
     *                                  and index
     */
    public Dataset build() {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("dataset name must not be blank");
        }
        if (train == null) {
            throw new IllegalArgumentException("the training examples are required: call setTrain(...) before build()");
        }
        ArrayTask.Data tr = train.check();
        ArrayTask.Data te = test == null ? tr : test.check();
        if (te != tr) {
            if (test.target != train.target) {
                throw new IllegalArgumentException("test targets are " + test.target + " but training targets are " + train.target);
            }
            if (te.steps() != tr.steps() || te.features() != tr.features()) {
                throw new IllegalArgumentException("test examples are " + te.shape() + " but training examples are " + tr.shape());
            }
            if (train.target == TargetType.REGRESSION && te.width() != tr.width()) {
                throw new IllegalArgumentException("test targets have " + te.width() + " outputs, training targets "
                        + tr.width());
            }
        }
        int outputs;
        if (train.target == TargetType.REGRESSION) {
            if (classes != null) {
                throw new IllegalArgumentException("optClasses applies to class labels, not to real-valued targets");
            }
            outputs = tr.width();
        } else {
            int needed = Math.max(tr.width(), te.width());
            if (classes != null) {
                if (classes < 1) {
                    throw new IllegalArgumentException("optClasses must be at least 1, got " + classes);
                }
                if (classes < needed) {
                    throw new IllegalArgumentException("optClasses(" + classes + ") but a label is " + (needed - 1)
                            + "; labels must be below the number of classes");
                }
                outputs = classes;
            } else {
                if (needed < 1) {
                    throw new IllegalArgumentException("every label is negative (ignored); give optClasses(C)");
                }
                outputs = needed;
            }
        }
        return new Dataset(new ArrayTask(name, train.target, outputs, tr, te));
    }

    /** One split as given, checked and flattened by {@link #check()}. */
    private static final class Examples {
        final String split;
        final float[][][] sequences;
        final float[][] vectors;
        final TargetType target;
        final int[] labels;
        final int[][] stepLabels;
        final float[][] targets;

        Examples(String split, float[][][] sequences, float[][] vectors, TargetType target, int[] labels,
                 int[][] stepLabels, float[][] targets) {
            this.split = split;
            this.sequences = sequences;
            this.vectors = vectors;
            this.target = target;
            this.labels = labels;
            this.stepLabels = stepLabels;
            this.targets = targets;
        }

        /** Validates and flattens: inputs per example ({@code steps*features}), targets per example. */
        ArrayTask.Data check() {
            String xName = split + (sequences != null ? " sequences" : " vectors");
            Object[] x = sequences != null ? sequences : vectors;
            if (x == null) {
                throw new IllegalArgumentException(xName + " must not be null");
            }
            int n = x.length;
            if (n == 0) {
                throw new IllegalArgumentException(xName + " is empty; give at least one example");
            }
            int steps = 0;
            int features;
            float[][] inputs = new float[n][];
            if (sequences != null) {
                if (sequences[0] == null || sequences[0].length == 0) {
                    throw new IllegalArgumentException(xName + "[0] has no steps");
                }
                steps = sequences[0].length;
                if (sequences[0][0] == null || sequences[0][0].length == 0) {
                    throw new IllegalArgumentException(xName + "[0][0] has no features");
                }
                features = sequences[0][0].length;
                for (int i = 0; i < n; i++) {
                    float[][] s = sequences[i];
                    if (s == null || s.length != steps) {
                        throw new IllegalArgumentException(xName + "[" + i + "] has " + (s == null ? "no" : s.length)
                                + " steps, " + xName + "[0] has " + steps + "; every sequence needs the same length");
                    }
                    float[] flat = new float[steps * features];
                    for (int t = 0; t < steps; t++) {
                        if (s[t] == null || s[t].length != features) {
                            throw new IllegalArgumentException(xName + "[" + i + "][" + t + "] has "
                                    + (s[t] == null ? "no" : s[t].length) + " features, expected " + features);
                        }
                        finite(s[t], xName + "[" + i + "][" + t + "]");
                        System.arraycopy(s[t], 0, flat, t * features, features);
                    }
                    inputs[i] = flat;
                }
            } else {
                if (vectors[0] == null || vectors[0].length == 0) {
                    throw new IllegalArgumentException(xName + "[0] has no features");
                }
                features = vectors[0].length;
                for (int i = 0; i < n; i++) {
                    if (vectors[i] == null || vectors[i].length != features) {
                        throw new IllegalArgumentException(xName + "[" + i + "] has "
                                + (vectors[i] == null ? "no" : vectors[i].length) + " features, expected " + features);
                    }
                    finite(vectors[i], xName + "[" + i + "]");
                    inputs[i] = vectors[i].clone();
                }
            }
            int width = 0;
            int[][] y = null;
            float[][] z = null;
            switch (target) {
                case CLASS -> {
                    requireLength(labels, n, split + " labels", xName);
                    y = new int[n][];
                    for (int i = 0; i < n; i++) {
                        if (labels[i] < 0) {
                            throw new IllegalArgumentException(split + " labels[" + i + "] = " + labels[i]
                                    + "; class labels must be >= 0");
                        }
                        width = Math.max(width, labels[i] + 1);
                        y[i] = new int[]{labels[i]};
                    }
                }
                case CLASS_PER_STEP -> {
                    requireLength(stepLabels, n, split + " labels", xName);
                    y = new int[n][];
                    for (int i = 0; i < n; i++) {
                        if (stepLabels[i] == null || stepLabels[i].length != steps) {
                            throw new IllegalArgumentException(split + " labels[" + i + "] has "
                                    + (stepLabels[i] == null ? "no" : stepLabels[i].length) + " steps, expected " + steps);
                        }
                        for (int label : stepLabels[i]) {
                            width = Math.max(width, label + 1);
                        }
                        y[i] = stepLabels[i].clone();
                    }
                }
                case REGRESSION -> {
                    requireLength(targets, n, split + " targets", xName);
                    z = new float[n][];
                    if (targets[0] == null || targets[0].length == 0) {
                        throw new IllegalArgumentException(split + " targets[0] is empty; give at least one output");
                    }
                    width = targets[0].length;
                    for (int i = 0; i < n; i++) {
                        if (targets[i] == null || targets[i].length != width) {
                            throw new IllegalArgumentException(split + " targets[" + i + "] has "
                                    + (targets[i] == null ? "no" : targets[i].length) + " outputs, expected " + width);
                        }
                        finite(targets[i], split + " targets[" + i + "]");
                        z[i] = targets[i].clone();
                    }
                }
                default -> throw new AssertionError(target);
            }
            return new ArrayTask.Data(steps, features, width, inputs, y, z);
        }

        private static void requireLength(Object[] a, int n, String what, String xName) {
            if (a == null) {
                throw new IllegalArgumentException(what + " must not be null");
            }
            if (a.length != n) {
                throw new IllegalArgumentException(what + " has " + a.length + " entries but " + xName + " has " + n);
            }
        }

        private static void requireLength(int[] a, int n, String what, String xName) {
            if (a == null) {
                throw new IllegalArgumentException(what + " must not be null");
            }
            if (a.length != n) {
                throw new IllegalArgumentException(what + " has " + a.length + " entries but " + xName + " has " + n);
            }
        }

        private static void finite(float[] v, String what) {
            for (int j = 0; j < v.length; j++) {
                if (!Float.isFinite(v[j])) {
                    throw new IllegalArgumentException(what + "[" + j + "] = " + v[j] + " is not finite");
                }
            }
        }
    }
}
