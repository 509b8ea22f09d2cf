package dev.backendlabs.bench;

import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * CI's proof that every benchmark still runs, cheaply: each benchmark class once, in this JVM (no
 * forks, so the servers start once for all of them), with the first value of each {@code @Param},
 * no warm-up, one short iteration, and small data ({@link LabBenchmark#sized}). Any error fails the
 * run. The numbers it prints mean nothing.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.backendlabs.bench.SmokeRun benchmarks/target/jmh-smoke
 * </pre>
 */
public final class SmokeRun {

    private SmokeRun() {
    }

    /**
     * Exits with 0 once every benchmark ran, and with 1 at the first that failed: the embedded servers'
     * threads would otherwise keep the JVM, and CI, waiting after the failure.
     */
    public static void main(String[] args) {
        try {
            runAll(Path.of(args.length > 0 ? args[0] : "target/jmh-smoke"));
        } catch (RunnerException | IOException | RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    private static void runAll(Path results) throws RunnerException, IOException {
        Files.createDirectories(results);
        System.setProperty(LabBenchmark.SMOKE_PROPERTY, "true");
        for (String benchmark : benchmarkClasses()) {
            ChainedOptionsBuilder options = new OptionsBuilder()
                    .include("^" + Pattern.quote(benchmark) + "\\.")
                    .forks(0)
                    .warmupIterations(0)
                    .measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(500))
                    .shouldFailOnError(true)
                    .resultFormat(ResultFormatType.JSON)
                    .result(results.resolve(benchmark.substring(benchmark.lastIndexOf('.') + 1) + ".json").toString());
            firstValues(benchmark).forEach(param -> options.param(param[0], param[1]));
            new Runner(options.build()).run();
        }
    }

    private static Set<String> benchmarkClasses() {
        Set<String> classes = new TreeSet<>();
        for (BenchmarkListEntry entry : BenchmarkList.defaultList().getAll(OutputFormatFactory.createFormatInstance(System.out,
                VerboseMode.SILENT), List.of())) {
            classes.add(entry.getUserClassQName());
        }
        return classes;
    }

    /** {name, first value} of every {@code @Param} of the benchmark class, its superclasses and its nested states. */
    private static List<String[]> firstValues(String className) {
        List<String[]> params = new ArrayList<>();
        try {
            Class<?> benchmark = Class.forName(className);
            List<Class<?>> states = new ArrayList<>(List.of(benchmark));
            for (Class<?> nested : benchmark.getDeclaredClasses()) {
                if (nested.isAnnotationPresent(State.class)) {
                    states.add(nested);
                }
            }
            for (Class<?> state : states) {
                for (Class<?> type = state; type != null; type = type.getSuperclass()) {
                    for (Field field : type.getDeclaredFields()) {
                        Param param = field.getAnnotation(Param.class);
                        if (param != null) {
                            firstValue(field, param).ifPresent(value -> params.add(new String[] {field.getName(), value}));
                        }
                    }
                }
            }
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("Benchmark class " + className + " is in the benchmark list but not on the class path", e);
        }
        return params;
    }

    /**
     * The first value a {@code @Param} lists; for a bare {@code @Param} on an enum (JMH then runs every
     * constant, and the annotation holds only its {@link Param#BLANK_ARGS} marker), the first constant.
     */
    private static Optional<String> firstValue(Field field, Param param) {
        String[] values = param.value();
        if (values.length > 0 && !Param.BLANK_ARGS.equals(values[0])) {
            return Optional.of(values[0]);
        }
        Object[] constants = field.getType().getEnumConstants();
        return constants == null || constants.length == 0 ? Optional.empty() : Optional.of(((Enum<?>) constants[0]).name());
    }
}
