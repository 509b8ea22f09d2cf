package dev.backendlabs.suite;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The suite page built from two fake labs' results, read back with an HTML parser. */
class SuiteReportTest {

    @Test
    void thePageShowsEachLabsClaimStatusGoalsChartsAndEnvironment(@TempDir Path root) throws IOException {
        lab(root, "alpha-lab", "passed", true, 0, 120.4);
        lab(root, "beta-lab", "failed", true, 3, 900);
        Files.createDirectories(root.resolve("labs/gamma-lab"));

        List<LabResults> labs = SuiteReport.collect(root);
        SuiteReport.write(labs, root, root.resolve("target/labs-report"));
        Document page = Jsoup.parse(root.resolve("target/labs-report/index.html").toFile(), "UTF-8");

        assertThat(labs).extracting(LabResults::lab).as("a lab without results did not run").containsExactly("alpha-lab", "beta-lab");
        Element alpha = page.getElementById("alpha-lab");
        assertThat(alpha.selectFirst(".claim").text()).isEqualTo("the alpha pattern never loses a thing");
        assertThat(alpha.selectFirst("h2 .status").text()).isEqualTo("passed");
        assertThat(alpha.selectFirst("tr[data-metric=lost_events] td.num").text()).isEqualTo("0");
        assertThat(alpha.selectFirst("tr[data-metric=lost_events]").text()).contains("= 0").contains("met");
        assertThat(alpha.selectFirst("tr[data-metric=p99_ms] td.num").text()).isEqualTo("120");
        assertThat(alpha.selectFirst("tr[data-metric=p99_ms] .status").text()).isEqualTo("met");
        assertThat(alpha.selectFirst("img").attr("src")).isEqualTo("alpha-lab/latency.png");
        assertThat(root.resolve("target/labs-report/alpha-lab/latency.png")).exists();
        assertThat(alpha.selectFirst(".env").text()).contains("embedded").contains("postgres 17.6").contains("2 cores");

        Element beta = page.getElementById("beta-lab");
        assertThat(beta.selectFirst("h2 .status").text()).isEqualTo("failed");
        assertThat(beta.selectFirst("tr[data-metric=lost_events] .status").text()).isEqualTo("not met");
        assertThat(beta.selectFirst("tr[data-metric=p99_ms] .status").text()).isEqualTo("not met");
        assertThat(page.select("#summary tr[data-lab]")).hasSize(2);
        assertThat(page.selectFirst("#summary tr[data-lab=beta-lab]").text()).contains("0 of 2");
    }

    @Test
    void thePageOpensFromDiskWithNothingFromOutsideItsFolder(@TempDir Path root) throws IOException {
        lab(root, "alpha-lab", "passed", true, 0, 100);
        SuiteReport.write(SuiteReport.collect(root), root, root.resolve("target/labs-report"));
        Document page = Jsoup.parse(root.resolve("target/labs-report/index.html").toFile(), "UTF-8");

        assertThat(page.select("script")).isEmpty();
        assertThat(page.select("link")).isEmpty();
        assertThat(page.select("[src]")).allSatisfy(element -> assertThat(element.attr("src")).doesNotContain(":").doesNotStartWith("/"));
        assertThat(page.select("a[href]")).allSatisfy(element -> assertThat(element.attr("href")).startsWith("#"));
        assertThat(page.selectFirst("meta[charset]").attr("charset")).isEqualTo("utf-8");
    }

    @Test
    void aPartialRunIsMarkedPartialAndTheMarkdownAndConsoleAgree(@TempDir Path root) throws IOException {
        lab(root, "alpha-lab", "passed", false, 0, 100);
        List<LabResults> labs = SuiteReport.collect(root);
        SuiteReport.write(labs, root, root.resolve("target/labs-report"));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        SuiteReport.print(labs, root.resolve("target/labs-report"), new PrintStream(console, true, StandardCharsets.UTF_8));

        assertThat(labs.getFirst().status()).isEqualTo("partial");
        assertThat(Files.readString(root.resolve("target/labs-report/index.md"))).contains("| alpha-lab | partial | 2 of 2 |")
                .contains("| `p99_ms` | 100 ms | ≤ 500 | met |");
        assertThat(console.toString(StandardCharsets.UTF_8)).contains("alpha-lab").contains("partial").contains("goals met 2 of 2");
    }

    /** A lab folder with a README title, goals, a run's results and one chart. */
    private static void lab(Path root, String name, String outcome, boolean complete, double lost, double p99) throws IOException {
        Path folder = root.resolve("labs").resolve(name);
        Files.createDirectories(folder.resolve("docs"));
        Files.createDirectories(folder.resolve("target/lab-report"));
        Files.writeString(folder.resolve("README.md"), "# " + name + ": the " + name.split("-")[0] + " pattern never loses a thing\n");
        Files.writeString(folder.resolve("docs/goals.json"), """
                {"goals": [
                  {"metric": "lost_events", "op": "==", "target": 0, "source": "the lab's issue"},
                  {"metric": "p99_ms", "op": "<=", "target": 500, "source": ""}
                ]}""");
        Files.writeString(folder.resolve("target/lab-report/results.json"), """
                {"lab": "%s", "scale": "quick",
                 "environment": {"backend": "embedded", "postgres": "17.6", "java": "Temurin 25", "cores": 2, "os": "Linux", "cpu": "EPYC"},
                 "metrics": {"lost_events": {"value": %s, "unit": "events", "claim": "c"},
                             "p99_ms": {"value": %s, "unit": "ms", "claim": "c"}},
                 "tables": [], "charts": ["latency.png"],
                 "tests": {"ClaimTest.holds": "%s"}, "complete": %s, "missing_tests": []}
                """.formatted(name, lost, p99, outcome, complete));
        Files.write(folder.resolve("target/lab-report/latency.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
    }
}
