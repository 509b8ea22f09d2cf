package dev.backendlabs.shared.junit;

import org.junit.platform.commons.annotation.Testable;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** The tests of a lab: every testable method of every {@code @Lab} class among the module's compiled test classes. */
final class LabTests {

    private LabTests() {
    }

    static String name(Class<?> testClass, Method method) {
        return testClass.getSimpleName() + "." + method.getName();
    }

    static Set<String> find(Path testClassesRoot, ClassLoader loader) {
        Set<String> tests = new TreeSet<>();
        if (!Files.isDirectory(testClassesRoot)) {
            return tests;
        }
        try (Stream<Path> files = Files.walk(testClassesRoot)) {
            files.filter(file -> file.toString().endsWith(".class") && !file.getFileName().toString().contains("$"))
                    .map(file -> className(testClassesRoot, file))
                    .forEach(name -> addTests(name, loader, tests));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list the test classes in " + testClassesRoot, e);
        }
        return tests;
    }

    private static String className(Path root, Path file) {
        String relative = root.relativize(file).toString();
        return relative.substring(0, relative.length() - ".class".length()).replace(file.getFileSystem().getSeparator(), ".");
    }

    private static void addTests(String className, ClassLoader loader, Set<String> tests) {
        Class<?> type;
        try {
            type = Class.forName(className, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return;
        }
        if (!AnnotationSupport.isAnnotated(type, Lab.class)) {
            return;
        }
        ReflectionSupport.findMethods(type, method -> AnnotationSupport.isAnnotated(method, Testable.class),
                        HierarchyTraversalMode.TOP_DOWN)
                .forEach(method -> tests.add(name(type, method)));
    }
}
