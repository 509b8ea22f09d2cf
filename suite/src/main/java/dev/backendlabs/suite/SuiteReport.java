package dev.backendlabs.suite;

import dev.backendlabs.shared.report.Metric;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The suite report: after {@code ./mvnw verify}, one static page, {@code target/labs-report/index.html},
 * that shows each lab that ran — its claim, whether its tests passed, each goal's metric beside the
 * goal, its charts and the environment — plus the same summary as {@code index.md} and one console
 * line per lab. The page has no scripts, fonts or links outside its folder (the charts are copied
 * in), so it opens from disk in any browser.
 */
public final class SuiteReport {

    private static final String STYLE = """
            body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 72rem; color: #1d2330;
                   padding: 0 1rem; line-height: 1.45; }
            h1 { margin-bottom: .2rem; } .sub { color: #5a6270; margin-top: 0; }
            table { border-collapse: collapse; margin: .6rem 0 1rem; } th, td { border-bottom: 1px solid #dde1e6; padding: .3rem .7rem;
                   text-align: left; vertical-align: top; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
            .status { display: inline-block; padding: .05rem .55rem; border-radius: .7rem; font-size: .85rem; font-weight: 600; }
            .passed, .met { background: #dcf5e3; color: #14632e; } .failed, .missed { background: #fde0e0; color: #8a1c1c; }
            .partial { background: #fff1cc; color: #6b4d00; }
            section { border-top: 2px solid #e8ebef; margin-top: 2rem; padding-top: .5rem; }
            .claim { font-size: 1.1rem; } .env { color: #5a6270; font-size: .85rem; }
            .charts img { max-width: 100%; width: 44rem; display: block; margin: .6rem 0; border: 1px solid #e8ebef; }
            code { background: #f3f4f6; padding: 0 .25rem; border-radius: .2rem; }
            """;

    private SuiteReport() {
    }

    /** {@code args[0]}: the repository root. Writes {@code <root>/target/labs-report} and prints one line per lab. */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        List<LabResults> labs = collect(root);
        Path out = root.resolve("target/labs-report");
        write(labs, root, out);
        print(labs, out, System.out);
    }

    /** Every lab under {@code labs/} that has a {@code target/lab-report/results.json}, in folder order. */
    static List<LabResults> collect(Path root) throws IOException {
        List<LabResults> labs = new ArrayList<>();
        try (Stream<Path> folders = Files.list(root.resolve("labs"))) {
            List<Path> labFolders = folders.filter(Files::isDirectory)
                    .filter(f -> !f.getFileName().toString().startsWith("_")).sorted().toList();
            for (Path folder : labFolders) {
                LabResults.read(folder, folder.resolve("target/lab-report/results.json")).ifPresent(labs::add);
            }
        }
        return labs;
    }

    static void write(List<LabResults> labs, Path root, Path out) throws IOException {
        Files.createDirectories(out);
        for (LabResults lab : labs) {
            Path charts = out.resolve(lab.lab());
            Files.createDirectories(charts);
            for (String chart : lab.charts()) {
                Path source = root.resolve("labs").resolve(lab.lab()).resolve("target/lab-report").resolve(chart);
                if (Files.isRegularFile(source)) {
                    Files.copy(source, charts.resolve(chart), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.writeString(out.resolve("index.html"), html(labs).outerHtml());
        Files.writeString(out.resolve("index.md"), markdown(labs));
    }

    static Document html(List<LabResults> labs) {
        Document page = Document.createShell("");
        page.head().appendElement("meta").attr("charset", "utf-8");
        page.title("Backend Labs — suite report");
        page.head().appendElement("style").appendText(STYLE);
        Element body = page.body();
        body.appendElement("h1").text("Backend Labs — suite report");
        body.appendElement("p").addClass("sub").text(labs.isEmpty() ? "No lab ran." : labs.size() + " labs ran. "
                + labs.stream().filter(lab -> lab.status().equals("passed")).count() + " passed every test.");

        Element summary = body.appendElement("table").attr("id", "summary");
        summary.appendElement("tr").append("<th>lab</th><th>claim</th><th>tests</th><th>goals met</th>");
        for (LabResults lab : labs) {
            Element row = summary.appendElement("tr").attr("data-lab", lab.lab());
            row.appendElement("td").appendElement("a").attr("href", "#" + lab.lab()).text(lab.lab());
            row.appendElement("td").text(lab.claim());
            row.appendElement("td").appendElement("span").addClass("status").addClass(lab.status()).text(lab.status());
            row.appendElement("td").addClass("num").text(goalsMet(lab));
        }

        for (LabResults lab : labs) {
            Element section = body.appendElement("section").attr("id", lab.lab());
            section.appendElement("h2").text(lab.lab() + " ").appendElement("span").addClass("status").addClass(lab.status())
                    .text(lab.status());
            section.appendElement("p").addClass("claim").text(lab.claim());
            Element goals = section.appendElement("table").addClass("goals");
            goals.appendElement("tr").append("<th>metric</th><th>value</th><th>unit</th><th>goal</th><th></th>");
            for (LabResults.Goal goal : lab.goals()) {
                Optional<Double> value = lab.metric(goal.metric());
                Element row = goals.appendElement("tr").attr("data-metric", goal.metric());
                row.appendElement("td").appendElement("code").text(goal.metric());
                row.appendElement("td").addClass("num").text(value.map(Metric::format).orElse("not measured"));
                row.appendElement("td").text(lab.unit(goal.metric()));
                row.appendElement("td").text(goal.text() + (goal.source().isEmpty() ? "" : " (" + goal.source() + ")"));
                boolean met = value.map(goal::metBy).orElse(false);
                row.appendElement("td").appendElement("span").addClass("status").addClass(met ? "met" : "missed")
                        .text(met ? "met" : "not met");
            }
            Element charts = section.appendElement("div").addClass("charts");
            for (String chart : lab.charts()) {
                charts.appendElement("img").attr("src", lab.lab() + "/" + chart).attr("alt", chart);
            }
            section.appendElement("p").addClass("env").text(lab.environment());
        }
        return page;
    }

    static String markdown(List<LabResults> labs) {
        StringBuilder md = new StringBuilder("# Backend Labs — suite report\n\n| lab | tests | goals met | claim |\n|---|---|---|---|\n");
        for (LabResults lab : labs) {
            md.append("| ").append(lab.lab()).append(" | ").append(lab.status()).append(" | ").append(goalsMet(lab)).append(" | ")
                    .append(lab.claim()).append(" |\n");
        }
        for (LabResults lab : labs) {
            md.append("\n## ").append(lab.lab()).append("\n\n").append(lab.claim())
                    .append("\n\n| metric | value | goal | |\n|---|---:|---|---|\n");
            for (LabResults.Goal goal : lab.goals()) {
                Optional<Double> value = lab.metric(goal.metric());
                md.append("| `").append(goal.metric()).append("` | ").append(value.map(Metric::format).orElse("not measured")).append(' ')
                        .append(lab.unit(goal.metric())).append(" | ").append(goal.text()).append(" | ")
                        .append(value.map(goal::metBy).orElse(false) ? "met" : "not met").append(" |\n");
            }
            md.append("\n").append(lab.environment()).append('\n');
        }
        return md.toString();
    }

    static String goalsMet(LabResults lab) {
        long met = lab.goals().stream().filter(goal -> lab.metric(goal.metric()).map(goal::metBy).orElse(false)).count();
        return met + " of " + lab.goals().size();
    }

    static void print(List<LabResults> labs, Path out, PrintStream console) {
        console.println();
        console.println("suite report -> " + out.resolve("index.html"));
        for (LabResults lab : labs) {
            console.printf("  %-20s %-8s goals met %s%n", lab.lab(), lab.status(), goalsMet(lab));
        }
    }
}
