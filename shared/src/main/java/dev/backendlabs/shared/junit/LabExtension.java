package dev.backendlabs.shared.junit;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.ServerKind;
import dev.backendlabs.shared.report.Environment;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportWriter;
import dev.backendlabs.shared.report.TestOutcome;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.platform.commons.support.AnnotationSupport;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * Hands tests their backends, namespace, scale and report (see {@link Lab}), and records how each
 * test ended.
 *
 * <p>The report lives in the root extension store, keyed by lab, so every test class of the lab
 * adds to the same report; JUnit closes the root store once, after the last test of the run,
 * which is when the report is written — into the module's own {@code target/lab-report}, whatever
 * the working directory. It lists the lab's tests that did not run, so that a {@code -Dtest=} run
 * is marked partial rather than passing for the whole lab.
 */
public final class LabExtension implements ParameterResolver, TestWatcher {

    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(LabExtension.class);
    private static final Set<Class<?>> SUPPORTED = Set.of(LabNamespace.class, LabReport.class, Scale.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return SUPPORTED.contains(type) || Backends.kindOf(type).isPresent();
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        Optional<ServerKind<?>> server = Backends.kindOf(type);
        if (server.isPresent()) {
            return Backends.get(server.get());
        }
        if (type == Scale.class) {
            return Scale.current();
        }
        if (type == LabNamespace.class) {
            return new LabNamespace(labName(context));
        }
        return pending(context).report();
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        record(context, TestOutcome.PASSED);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        record(context, TestOutcome.FAILED);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        pending(context).report().notRun(LabTests.name(context.getRequiredTestClass(), context.getRequiredTestMethod()),
                cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        record(context, TestOutcome.DISABLED);
    }

    /** A repeated or parameterized test is as good as its worst invocation. */
    private static void record(ExtensionContext context, TestOutcome outcome) {
        LabReport report = pending(context).report();
        String test = LabTests.name(context.getRequiredTestClass(), context.getRequiredTestMethod());
        TestOutcome previous = report.tests().get(test);
        report.testOutcome(test, previous == null || outcome.compareTo(previous) > 0 ? outcome : previous);
    }

    private static PendingReport pending(ExtensionContext context) {
        String lab = labName(context);
        Class<?> testClass = context.getRequiredTestClass();
        return context.getRoot().getStore(STORE).getOrComputeIfAbsent(lab, name -> {
            Path testClasses = testClassesRoot(testClass);
            LabReport report = new LabReport(name, Scale.current());
            report.expectTests(LabTests.find(testClasses, testClass.getClassLoader()));
            return new PendingReport(report, ReportWriter.directoryFor(testClasses));
        }, PendingReport.class);
    }

    /** The lab of the class: its {@code @Lab} value, or the module's lab; one JVM tests one lab. */
    private static String labName(ExtensionContext context) {
        Lab lab = AnnotationSupport.findAnnotation(context.getRequiredTestClass(), Lab.class)
                .orElseThrow(() -> new ExtensionConfigurationException(
                        "Annotate " + context.getRequiredTestClass().getName() + " with @Lab"));
        return lab.value().isEmpty() ? LabNamespace.current().lab() : LabNamespace.claim(lab.value()).lab();
    }

    private static Path testClassesRoot(Class<?> testClass) {
        try {
            return Path.of(testClass.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("Cannot locate the test classes of " + testClass.getName(), e);
        }
    }

    /** Writes its report when JUnit closes the root store at the end of the run. */
    private record PendingReport(LabReport report, Path directory) implements AutoCloseable {
        @Override
        public void close() {
            if (!report.isEmpty()) {
                ReportWriter.write(report, Environment.capture(), directory, System.out);
            }
        }
    }
}
