package dev.backendlabs.suite;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The READMEs cannot drift from the code and the numbers: for every lab, the template's headings,
 * the Results numbers against the committed reference run, every {@code Class.method} named, and
 * every marked code excerpt against its source region. And the root README lists every lab: linked
 * once it is published, marked coming until then.
 */
class ReadmeDriftTest {

    @TestFactory
    Stream<DynamicTest> everyLabReadmeMatchesItsCodeAndReferenceRun() throws IOException {
        Path root = Repository.root();
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : Repository.labFolders()) {
            Path lab = root.resolve("labs").resolve(name);
            tests.add(DynamicTest.dynamicTest(name + ": headings", () -> assertThat(new ReadmeDrift(root, lab).headings()).isEmpty()));
            tests.add(DynamicTest.dynamicTest(name + ": Results = reference run",
                    () -> assertThat(new ReadmeDrift(root, lab).resultsMatchTheReferenceRun()).isEmpty()));
            tests.add(DynamicTest.dynamicTest(name + ": reference run and goals",
                    () -> assertThat(new ReadmeDrift(root, lab).referenceRunAndGoals()).isEmpty()));
            tests.add(DynamicTest.dynamicTest(name + ": named methods exist",
                    () -> assertThat(new ReadmeDrift(root, lab).namedMethodsExist()).isEmpty()));
            tests.add(DynamicTest.dynamicTest(name + ": excerpts = source",
                    () -> assertThat(new ReadmeDrift(root, lab).excerptsMatchTheirSource()).isEmpty()));
        }
        return tests.stream();
    }

    @Test
    void theRootReadmeListsEveryLabLinkedOrMarkedComing() throws IOException {
        List<String> linked = new ArrayList<>();
        List<String> coming = new ArrayList<>();
        String readme = Files.readString(Repository.root().resolve("README.md"));
        int start = readme.indexOf("\n## Labs\n");
        assertThat(start).as("the root README has a '## Labs' section").isPositive();
        int end = readme.indexOf("\n## ", start + 1);
        for (String row : readme.substring(start, end < 0 ? readme.length() : end).lines().toList()) {
            Matcher lab = Pattern.compile("^\\| \\[`([a-z-]+)`\\]\\(labs/([a-z-]+)\\)").matcher(row);
            Matcher unlinked = Pattern.compile("^\\| `([a-z-]+)` \\|").matcher(row);
            if (lab.find()) {
                assertThat(lab.group(2)).as("link of row %s", lab.group(1)).isEqualTo(lab.group(1));
                linked.add(lab.group(1));
            } else if (unlinked.find()) {
                assertThat(row).as("a lab row without a link").contains("*coming*");
                coming.add(unlinked.group(1));
            }
        }
        assertThat(Repository.labFolders()).as("labs without a row in the root README")
                .allMatch(lab -> linked.contains(lab) || coming.contains(lab));
        assertThat(linked).as("rows linking to labs that do not exist").isSubsetOf(Repository.labFolders());
        for (String lab : linked) {
            assertThat(new ReadmeDrift(Repository.root(), Repository.root().resolve("labs").resolve(lab)).placeholders())
                    .as("the README of %s, which the root README links as published", lab).isEmpty();
        }
    }

    @Test
    void theTemplatesPlaceholdersAreFoundOutsideCodeBlocks() throws IOException {
        Path template = Repository.root().resolve("labs/_template");
        List<String> found = new ReadmeDrift(Repository.root(), template).placeholders();

        assertThat(found).as("placeholders of the template's README").hasSizeGreaterThanOrEqualTo(8)
                .noneMatch(line -> line.contains("./mvnw test"));
    }

    @Test
    void aRegionIsFoundWhateverTheCommentSyntaxAndComparedWithoutIndentation() {
        String java = "class A {\n    // region decide\n    int x = 1;\n      y();\n    // endregion\n}";
        String lua = "-- region refill\nlocal a = 1\n-- endregion\n";

        assertThat(ReadmeDrift.region(java, "decide")).map(ReadmeDrift::normalize).contains("int x = 1;\n  y();");
        assertThat(ReadmeDrift.region(lua, "refill")).contains("local a = 1");
        assertThat(ReadmeDrift.region(lua, "missing")).isEmpty();
    }
}
