package dev.roaf;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Enforces "dev.roaf is the whole public API": no public or protected signature of a public type in
 * package {@code dev.roaf} (supertypes, fields, constructors, methods, their generic arguments and
 * declared exceptions) mentions a type outside {@code dev.roaf} and {@code java.*}, so the internal
 * subpackages never leak to embedders.
 */
class PublicApiTest {

    @Test
    void publicSignaturesMentionOnlyTheApiPackageAndTheJdk() throws Exception {
        List<Class<?>> api = apiTypes();
        assertTrue(api.size() >= 15, "found only " + api);
        Set<String> leaks = new TreeSet<>();
        for (Class<?> c : api) {
            String where = c.getName();
            check(c.getGenericSuperclass(), where + " extends", leaks);
            for (Type t : c.getGenericInterfaces()) {
                check(t, where + " implements", leaks);
            }
            for (Field f : c.getDeclaredFields()) {
                if (exposed(f.getModifiers())) {
                    check(f.getGenericType(), where + "." + f.getName(), leaks);
                }
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (exposed(k.getModifiers())) {
                    checkExecutable(k, where + ".<init>", leaks);
                }
            }
            for (Method m : c.getDeclaredMethods()) {
                if (exposed(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                    check(m.getGenericReturnType(), where + "." + m.getName() + " returns", leaks);
                    checkExecutable(m, where + "." + m.getName(), leaks);
                }
            }
        }
        assertEquals(Set.of(), leaks, "public API signatures expose internal or third-party types");
    }

    @Test
    void theApiHasNoPublicTypeOutsideItsPackage() throws Exception {
        for (Class<?> c : apiTypes()) {
            assertEquals("dev.roaf", c.getPackageName(), c.getName());
        }
    }

    private static boolean exposed(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static void checkExecutable(Executable e, String where, Set<String> leaks) {
        for (Type t : e.getGenericParameterTypes()) {
            check(t, where + " parameter", leaks);
        }
        for (Type t : e.getGenericExceptionTypes()) {
            check(t, where + " throws", leaks);
        }
        for (TypeVariable<?> v : e.getTypeParameters()) {
            check(v, where + " type parameter", leaks);
        }
    }

    private static void check(Type t, String where, Set<String> leaks) {
        if (t == null) {
            return;
        }
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            if (c.isPrimitive()) {
                return;
            }
            String pkg = c.getPackageName();
            if (!pkg.equals("dev.roaf") && !pkg.startsWith("java.")) {
                leaks.add(where + ": " + c.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            check(p.getRawType(), where, leaks);
            for (Type a : p.getActualTypeArguments()) {
                check(a, where, leaks);
            }
        } else if (t instanceof GenericArrayType g) {
            check(g.getGenericComponentType(), where, leaks);
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                check(b, where, leaks);
            }
            for (Type b : w.getLowerBounds()) {
                check(b, where, leaks);
            }
        } else if (t instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                check(b, where, leaks);
            }
        }
    }

    /** Every public top-level and nested type compiled into package dev.roaf (not its subpackages). */
    static List<Class<?>> apiTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(Model.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path pkg = root.resolve("dev/roaf");
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(pkg)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".class") || name.equals("package-info.class") || name.equals("module-info.class")) {
                    continue;
                }
                Class<?> c = Class.forName("dev.roaf." + name.substring(0, name.length() - 6), false,
                        PublicApiTest.class.getClassLoader());
                if (isVisible(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    private static boolean isVisible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) {
                return false;
            }
        }
        return true;
    }
}
