package dev.backendlabs.shared.junit;

import dev.backendlabs.shared.Scale;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.LabNamespace;
import dev.backendlabs.shared.backend.ServerKind;
import dev.backendlabs.shared.report.Environment;
import dev.backendlabs.shared.report.LabReport;
import dev.backendlabs.shared.report.ReportWriter;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

import java.util.Optional;
import java.util.Set;

/**
 * Hands tests their backends, namespace, scale and report (see {@link Lab}).
 *
 * <p>The report lives in the root extension store, keyed by lab, so every test class of the lab
 * adds to the same report; JUnit closes the root store once, after the last test of the run,
 * which is when the report is written. Nothing is written for a run that recorded nothing.
 */
public final class LabExtension implements ParameterResolver {

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
        String lab = labName(context);
        if (type == LabNamespace.class) {
            return new LabNamespace(lab);
        }
        return context.getRoot().getStore(STORE)
                .getOrComputeIfAbsent(lab, name -> new PendingReport(new LabReport(name, Scale.current())), PendingReport.class)
                .report();
    }

    private static String labName(ExtensionContext context) {
        return AnnotationSupport.findAnnotation(context.getRequiredTestClass(), Lab.class)
                .map(Lab::value)
                .orElseThrow(() -> new ExtensionConfigurationException(
                        "Annotate " + context.getRequiredTestClass().getName() + " with @Lab(\"<lab>\")"));
    }

    /** Writes its report when JUnit closes the root store at the end of the run. */
    private record PendingReport(LabReport report) implements AutoCloseable {
        @Override
        public void close() {
            if (!report.isEmpty()) {
                ReportWriter.write(report, Environment.capture(), ReportWriter.defaultDirectory(), System.out);
            }
        }
    }
}
