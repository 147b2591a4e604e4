/**
 * The public Java API of roaf: build, train, evaluate, save and load ROAF networks (random
 * orthogonal additive filters) and their baselines from a Java program.
 *
 * <p>Start with a {@link dev.roaf.Device} ({@link dev.roaf.Device#cpu()}, {@link dev.roaf.Device#gpu(int)},
 * {@link dev.roaf.Device#best()}), build a {@link dev.roaf.Model} with one of its builders
 * ({@link dev.roaf.Model#roafRnn()}, {@link dev.roaf.Model#roafMlp()}, ...), make a
 * {@link dev.roaf.Dataset} from your own arrays ({@link dev.roaf.Dataset#builder()}) or take a
 * built-in task ({@link dev.roaf.Datasets#builtIn}), and train with a {@link dev.roaf.Trainer}.
 *
 * <p><b>Shapes.</b> Sequences are {@code float[batch][steps][features]}, vectors
 * {@code float[batch][features]}, outputs {@code float[batch][outputs]} (logits or regression values),
 * or {@code float[batch][steps][outputs]} for a per-step head.
 *
 * <p><b>Resources.</b> Types that hold native or device memory implement {@link java.lang.AutoCloseable}
 * and say so: {@link dev.roaf.Model} (parameters, workspace and its engine). A closed model throws
 * {@link java.lang.IllegalStateException} when used. {@link dev.roaf.RunRecorder} holds an open file.
 * Everything else (devices, datasets, builders, trainers, events) is plain Java data.
 *
 * <p><b>This package is the whole public API.</b> The subpackages ({@code dev.roaf.engine},
 * {@code dev.roaf.model}, {@code dev.roaf.train}, {@code dev.roaf.data}, {@code dev.roaf.io},
 * {@code dev.roaf.cli}, {@code dev.roaf.plot}) are internal: they may change in any release and
 * must not be used by other programs. The jar is not a JPMS module (its CLI and its tests use
 * reflection, and its GPU dependencies are not modular); instead the build checks, in
 * {@code PublicApiTest}, that no public or protected signature in this package mentions a type of
 * an internal package, and generates this package's Javadoc with every doclint check.
 */
package dev.roaf;
