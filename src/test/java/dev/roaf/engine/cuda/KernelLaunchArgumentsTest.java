package dev.roaf.engine.cuda;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.ConditionalExpressionTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.ParenthesizedTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;
import org.junit.jupiter.api.Test;

import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs in the CPU build (no GPU): every kernel launch in {@code CudaEngine.java} passes as many
 * arguments as the kernel declares, each of the size the kernel reads.
 *
 * <p>Why: {@code cuLaunchKernel} takes an untyped array of argument pointers. A launcher that passes
 * an {@code int} where the kernel reads a {@code long long}, or drops an argument, is not an error
 * to the driver: the kernel reads garbage. Without a GPU nothing else here would notice.
 *
 * <p>How: the kernels' parameter lists come from the PTX inside the shipped fatbins
 * ({@code .entry name(.param .u64 ..., .param .u32 ..., .param .f32 ...)}), so they are what the
 * driver loads; {@link KernelManifestTest} ties those fatbins to {@code kernels/*.cu}. The launch
 * arguments' static types come from javac's attributed syntax tree of {@code CudaEngine.java} (the
 * JDK's compiler API, nothing parsed by hand). A device pointer ({@code CudaTensor},
 * {@code CUdeviceptr}, {@code null}) or a {@code long} must meet {@code .u64}, an {@code int}
 * {@code .u32}/{@code .s32}, a {@code float} {@code .f32}. PTX does not tell a pointer from a
 * {@code long long} (both {@code .u64}), so that confusion is not caught here.
 */
class KernelLaunchArgumentsTest {
    private static final Path ENGINE = Path.of("src/main/java/dev/roaf/engine/cuda/CudaEngine.java");
    private static final Path FATBINS = Path.of("src/main/resources/dev/roaf/kernels");
    /** Launch helpers, with how many launch-configuration arguments follow the kernel name. */
    private static final Map<String, Integer> LAUNCHERS = Map.of("launch1d", 1, "launch", 4, "launchWithShared", 5);
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

    /** One launch site: its line, the literal(s) naming the kernel, and the argument types. */
    private record Launch(long line, String method, List<String> names, List<String> argumentKinds) {
    }

    @Test
    void everyLaunchMatchesTheParametersOfItsKernel() throws IOException {
        Map<String, List<String>> kernels = kernelParameters();
        List<Launch> launches = launchSites();
        assertTrue(launches.size() >= 20, "found only " + launches.size() + " launch sites in " + ENGINE);
        List<String> problems = new ArrayList<>();
        Set<String> launched = new LinkedHashSet<>();
        for (Launch l : launches) {
            Map<String, List<String>> matches = new TreeMap<>();
            for (String literal : l.names) {
                kernels.forEach((k, params) -> {
                    if (k.equals(literal) || k.startsWith(literal + "_x") || (literal.endsWith("_") && k.startsWith(literal))) {
                        matches.put(k, params);
                    }
                });
            }
            if (matches.isEmpty()) {
                problems.add("line " + l.line + ": no shipped kernel is named " + l.names);
                continue;
            }
            launched.addAll(matches.keySet());
            for (Map.Entry<String, List<String>> k : matches.entrySet()) {
                String mismatch = compare(k.getValue(), l.argumentKinds);
                if (mismatch != null) {
                    problems.add("line " + l.line + " (" + l.method + "): " + k.getKey() + " " + mismatch);
                }
            }
        }
        assertEquals(List.of(), problems, "kernel launches whose arguments do not fit the kernel's parameters");
        Set<String> neverLaunched = new TreeMap<>(kernels).keySet();
        neverLaunched.removeAll(launched);
        assertEquals(Set.of(), neverLaunched, "kernels shipped but launched nowhere in " + ENGINE);
    }

    @Test
    void aSizeMismatchIsReported() {
        assertEquals(null, compare(List.of("u64", "u32", "f32"), List.of("pointer", "int", "float")));
        assertEquals(null, compare(List.of("u64", "s32"), List.of("long", "int")));
        assertTrue(compare(List.of("u64", "u64"), List.of("pointer", "int")).contains("argument 2"));
        assertTrue(compare(List.of("u64", "u32"), List.of("pointer", "float")).contains("argument 2"));
        assertTrue(compare(List.of("u64"), List.of("pointer", "int")).contains("1 parameters"));
    }

    /** Null when the argument kinds fit the PTX parameter types, else what does not. */
    private static String compare(List<String> params, List<String> args) {
        if (params.size() != args.size()) {
            return "declares " + params.size() + " parameters " + params + ", the launch passes " + args.size() + " " + args;
        }
        for (int i = 0; i < params.size(); i++) {
            String p = params.get(i), a = args.get(i);
            boolean ok = switch (a) {
                case "pointer", "long" -> p.equals("u64") || p.equals("s64") || p.equals("b64");
                case "int" -> p.equals("u32") || p.equals("s32") || p.equals("b32");
                case "float" -> p.equals("f32");
                default -> false;
            };
            if (!ok) {
                return "argument " + (i + 1) + " is " + a + " but the kernel reads ." + p + " (parameters " + params + ", arguments "
                        + args + ")";
            }
        }
        return null;
    }

    /** Kernel name to PTX parameter types, from every shipped fatbin (all copies of an entry must agree). */
    private static Map<String, List<String>> kernelParameters() throws IOException {
        Map<String, List<String>> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(FATBINS)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".fatbin.gz"))::iterator) {
                String text;
                try (InputStream in = new GZIPInputStream(Files.newInputStream(f))) {
                    text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                }
                Matcher m = ENTRY.matcher(text);
                int found = 0;
                while (m.find()) {
                    List<String> types = new ArrayList<>();
                    Matcher p = PARAM.matcher(m.group(2));
                    while (p.find()) {
                        types.add(p.group(1));
                    }
                    List<String> before = out.putIfAbsent(m.group(1), types);
                    assertTrue(before == null || before.equals(types), m.group(1) + " has two parameter lists in " + f);
                    found++;
                }
                assertTrue(found > 0, f + " holds no readable PTX entry (compressed?); this test needs the PTX text");
            }
        }
        assertFalse(out.isEmpty(), "no fatbins in " + FATBINS);
        return out;
    }

    /** Every call of a launch helper in CudaEngine.java, with javac's types for its kernel arguments. */
    private static List<Launch> launchSites() throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "this test needs a JDK (the compiler API), not a JRE");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            List<String> options = List.of("-proc:none", "-classpath", classPath(), "-sourcepath", "src/main/java");
            JavacTask task = (JavacTask) javac.getTask(null, files, diagnostics, options, null,
                    files.getJavaFileObjects(ENGINE.toFile()));
            Iterable<? extends CompilationUnitTree> units = task.parse();
            task.analyze();
            List<String> errors = diagnostics.getDiagnostics().stream()
                    .filter(d -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR).map(Object::toString).toList();
            assertEquals(List.of(), errors, "CudaEngine.java did not compile inside the test");
            Trees trees = Trees.instance(task);
            List<Launch> out = new ArrayList<>();
            for (CompilationUnitTree unit : units) {
                new TreePathScanner<Void, Void>() {
                    private String method = "";

                    @Override
                    public Void visitMethod(MethodTree node, Void unused) {
                        String outer = method;
                        method = node.getName().toString();
                        super.visitMethod(node, unused);
                        method = outer;
                        return null;
                    }

                    @Override
                    public Void visitMethodInvocation(MethodInvocationTree call, Void unused) {
                        String callee = call.getMethodSelect().toString();
                        Integer config = LAUNCHERS.get(callee);
                        if (config != null) {
                            List<String> names = literals(call.getArguments().get(0));
                            long line = unit.getLineMap().getLineNumber(trees.getSourcePositions().getStartPosition(unit, call));
                            if (names.isEmpty()) {
                                // Only the helpers themselves may forward a kernel name held in a variable.
                                assertTrue(LAUNCHERS.containsKey(method) || method.equals("launchForTest"),
                                        "line " + line + ": the kernel name of this launch is not a string literal");
                            } else {
                                List<String> kinds = new ArrayList<>();
                                List<? extends ExpressionTree> args = call.getArguments();
                                for (ExpressionTree arg : args.subList(1 + config, args.size())) {
                                    kinds.add(kindOf(trees, new TreePath(getCurrentPath(), arg)));
                                }
                                out.add(new Launch(line, method, names, kinds));
                            }
                        }
                        return super.visitMethodInvocation(call, unused);
                    }
                }.scan(unit, null);
            }
            return out;
        }
    }

    /** The string literals in a kernel-name expression ("roaf_fill", l.kernel("roaf_x"), cond ? "a_" + s : "b_" + s). */
    private static List<String> literals(ExpressionTree expr) {
        List<String> out = new ArrayList<>();
        new com.sun.source.util.TreeScanner<Void, Void>() {
            @Override
            public Void visitLiteral(LiteralTree node, Void unused) {
                if (node.getValue() instanceof String s) {
                    out.add(s);
                }
                return null;
            }
        }.scan(expr, null);
        return out;
    }

    /**
     * The argument's kind. A conditional passed as a vararg is typed Object by javac (its target
     * type), so its two branches are typed instead; they must agree ({@code null} is a pointer).
     */
    private static String kindOf(Trees trees, TreePath path) {
        if (path.getLeaf() instanceof ParenthesizedTree p) {
            return kindOf(trees, new TreePath(path, p.getExpression()));
        }
        if (path.getLeaf() instanceof ConditionalExpressionTree c) {
            String a = kindOf(trees, new TreePath(path, c.getTrueExpression()));
            String b = kindOf(trees, new TreePath(path, c.getFalseExpression()));
            return a.equals(b) ? a : a + " or " + b;
        }
        return kind(trees.getTypeMirror(path));
    }

    private static String kind(TypeMirror t) {
        if (t.getKind() == TypeKind.NULL) {
            return "pointer";
        }
        return switch (t.getKind()) {
            case INT, SHORT, BYTE, CHAR -> "int";
            case LONG -> "long";
            case FLOAT -> "float";
            case DECLARED -> switch (t.toString()) {
                case "dev.roaf.engine.cuda.CudaTensor", "jcuda.driver.CUdeviceptr" -> "pointer";
                case "java.lang.Integer" -> "int";
                case "java.lang.Long" -> "long";
                case "java.lang.Float" -> "float";
                default -> t.toString();
            };
            default -> t.toString();
        };
    }

    /** The test's own class path (surefire may hide it behind a manifest-only jar). */
    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        return cp + File.pathSeparator + Path.of("target/classes");
    }
}
