package dev.backendlabs.suite;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A lab that is not a module is silently never built, and a lab without a README or reference
 * results is not a lab a reader can use. This fails the build instead.
 */
class LabLayoutTest {

    @Test
    void everyFolderUnderLabsIsAModuleAndEveryModuleAFolder() throws Exception {
        List<String> modules = Repository.elements(Repository.root().resolve("labs/pom.xml"), "module");

        assertThat(modules).as("modules in labs/pom.xml").containsExactlyInAnyOrderElementsOf(Repository.labFolders());
    }

    @Test
    void everyLabHasAReadmeAndReferenceResults() throws Exception {
        for (String lab : Repository.labFolders()) {
            Path folder = Repository.root().resolve("labs").resolve(lab);
            assertThat(folder.resolve("README.md")).as("%s/README.md", lab).isRegularFile();
            assertThat(folder.resolve("docs/reference-results.json")).as("%s/docs/reference-results.json", lab).isRegularFile();
            assertThat(Files.readString(folder.resolve("pom.xml"))).as("%s/pom.xml has the labs parent", lab)
                    .contains("<artifactId>labs</artifactId>");
        }
    }

    @Test
    void theSuiteRunsAfterEveryLab() throws Exception {
        List<String> dependencies = Repository.elements(Repository.root().resolve("suite/pom.xml"), "artifactId");

        assertThat(dependencies).as("labs suite/pom.xml depends on").containsAll(Repository.labFolders());
    }
}
