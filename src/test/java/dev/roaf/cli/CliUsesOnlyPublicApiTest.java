package dev.roaf.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Enforces "the CLI uses only the public API": the compiled classes of {@code dev.roaf.cli} refer
 * to no class of an internal package {@code dev.roaf.<subpackage>} (other than {@code dev.roaf.cli}
 * itself), and to nothing outside {@code dev.roaf}, picocli and {@code java.*}. It reads each class
 * file's constant pool: every class reference, and every name or descriptor that mentions a
 * {@code dev/roaf/...} or {@code dev.roaf....} type (fields, method signatures, lambdas, string
 * constants used for reflection).
 */
class CliUsesOnlyPublicApiTest {
    private static final Pattern ROAF_NAME = Pattern.compile("dev[/.]roaf[/.]([A-Za-z0-9_$]+)([/.][A-Za-z0-9_$]+)?");

    @Test
    void cliClassesReferToThePublicApiOnly() throws Exception {
        Path dir = classesDir().resolve("dev/roaf/cli");
        List<Path> classes;
        try (Stream<Path> s = Files.list(dir)) {
            classes = s.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
        Set<String> names = new TreeSet<>();
        for (Path p : classes) {
            names.add(p.getFileName().toString());
        }
        for (String c : List.of("Main", "TrainCommand", "EvalCommand", "DataCommand", "DiagnoseCommand")) {
            assertTrue(names.contains(c + ".class"), "compiled CLI class " + c + " not found in " + dir + ": " + names);
        }
        Set<String> violations = new TreeSet<>();
        for (Path p : classes) {
            for (String v : violations(Files.readAllBytes(p))) {
                violations.add(p.getFileName() + " -> " + v);
            }
        }
        assertEquals(Set.of(), violations, "the CLI must use only the public API (package dev.roaf), picocli and java.*");
    }

    /** The reader is not vacuous: a class of the public API itself refers to the internal packages, and is caught. */
    @Test
    void theReaderFindsInternalReferences() throws Exception {
        List<String> v = violations(Files.readAllBytes(classesDir().resolve("dev/roaf/Trainer.class")));
        assertTrue(v.stream().anyMatch(s -> s.contains("dev/roaf/train/")), v.toString());
    }

    private static Path classesDir() throws Exception {
        return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** What a class file refers to that the CLI may not. */
    static List<String> violations(byte[] classFile) throws IOException {
        List<String> out = new ArrayList<>();
        ConstantPool pool = ConstantPool.read(classFile);
        for (String c : pool.classNames) {
            String name = c;
            while (name.startsWith("[")) {
                name = name.substring(1);
            }
            if (name.startsWith("L") && name.endsWith(";")) {
                name = name.substring(1, name.length() - 1);
            }
            if (name.length() == 1) {
                continue; // a primitive array such as [I
            }
            boolean allowed = name.startsWith("java/") || name.startsWith("picocli/")
                    || name.startsWith("dev/roaf/cli/") || name.matches("dev/roaf/[^/]+");
            if (!allowed) {
                out.add("class " + name);
            }
        }
        for (String u : pool.utf8) {
            Matcher m = ROAF_NAME.matcher(u);
            while (m.find()) {
                String sub = m.group(1);
                boolean isPackage = !Character.isUpperCase(sub.charAt(0));
                if (isPackage && !sub.equals("cli")) {
                    out.add("name " + m.group() + " in \"" + u + "\"");
                }
            }
        }
        return out;
    }

    /** The class names and UTF-8 entries of a class file's constant pool (JVMS 4.4). */
    private record ConstantPool(List<String> classNames, List<String> utf8) {
        static ConstantPool read(byte[] bytes) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            if (in.readInt() != 0xCAFEBABE) {
                throw new IOException("not a class file");
            }
            in.readUnsignedShort(); // minor
            in.readUnsignedShort(); // major
            int count = in.readUnsignedShort();
            String[] utf = new String[count];
            int[] classIndex = new int[count];
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf[i] = in.readUTF();
                    case 3, 4 -> in.readInt();
                    case 5, 6 -> {
                        in.readLong();
                        i++; // takes two slots
                    }
                    case 7 -> classIndex[i] = in.readUnsignedShort();
                    case 8, 16, 19, 20 -> in.readUnsignedShort();
                    case 9, 10, 11, 12, 17, 18 -> in.readInt();
                    case 15 -> {
                        in.readUnsignedByte();
                        in.readUnsignedShort();
                    }
                    default -> throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
                }
            }
            List<String> classes = new ArrayList<>();
            List<String> strings = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                if (classIndex[i] != 0) {
                    classes.add(utf[classIndex[i]]);
                }
                if (utf[i] != null) {
                    strings.add(utf[i]);
                }
            }
            return new ConstantPool(classes, strings);
        }
    }
}
