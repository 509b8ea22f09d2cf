package dev.backendlabs.suite;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The repository the suite checks: its root (from {@code -Dlabs.root}), its labs and its poms. */
final class Repository {

    private Repository() {
    }

    static Path root() {
        String root = System.getProperty("labs.root");
        if (root == null || root.isBlank()) {
            throw new IllegalStateException("Run through Maven: suite/pom.xml passes -Dlabs.root");
        }
        return Path.of(root);
    }

    /** The lab folders under {@code labs/}; folders starting with {@code _} (the template) are not labs. */
    static List<String> labFolders() throws IOException {
        try (Stream<Path> folders = Files.list(root().resolve("labs"))) {
            return folders.filter(Files::isDirectory).map(folder -> folder.getFileName().toString())
                    .filter(name -> !name.startsWith("_") && !name.equals("target")).sorted().toList();
        }
    }

    /** The text of every element {@code tag} in {@code pom}, e.g. its modules or dependency artifact ids. */
    static List<String> elements(Path pom, String tag) throws Exception {
        NodeList nodes = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile()).getElementsByTagName(tag);
        List<String> values = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            values.add(((Element) nodes.item(i)).getTextContent().trim());
        }
        return values;
    }
}
