package org.raftlib.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;

/**
 * What a published module must ship, checked on the jars `mvn verify` built before this module's tests: a sources
 * jar and a javadoc jar beside each library jar, javadoc of the API only (no internal or generated wire package),
 * and the pom metadata Maven Central requires.
 */
class PublishedArtifactsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String VERSION = "0.1.0-SNAPSHOT";

    @ParameterizedTest
    @ValueSource(strings = {"raft-core", "raft-storage", "raft-transport-netty", "raft-metrics-micrometer",
        "raft-admin"})
    void libraryShipsSourcesAndApiOnlyJavadoc(String module) throws IOException {
        Path target = ROOT.resolve(module).resolve("target");
        Path main = target.resolve(module + "-" + VERSION + ".jar");
        Assumptions.assumeTrue(Files.exists(main), () -> "skipped: " + main + " not built (run mvn verify)");
        Path sources = target.resolve(module + "-" + VERSION + "-sources.jar");
        Path javadoc = target.resolve(module + "-" + VERSION + "-javadoc.jar");
        assertThat(sources).exists();
        assertThat(javadoc).exists();
        try (JarFile jar = new JarFile(javadoc.toFile())) {
            List<String> pages = jar.stream().map(e -> e.getName()).filter(n -> n.endsWith("package-summary.html"))
                    .toList();
            assertThat(pages).isNotEmpty().noneMatch(n -> n.contains("/internal/") || n.contains("/wire/"));
        }
        try (JarFile jar = new JarFile(sources.toFile())) {
            assertThat(jar.stream().anyMatch(e -> e.getName().endsWith(".java"))).isTrue();
        }
    }

    @Test
    void pomsCarryTheMetadataCentralRequires() throws Exception {
        for (String pom : List.of("pom.xml", "bom/pom.xml")) {
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve(pom).toFile());
            for (String tag : List.of("name", "description", "url", "licenses", "developers", "scm")) {
                assertThat(d.getElementsByTagName(tag).getLength()).as(pom + " <" + tag + ">").isPositive();
            }
        }
        for (String module : List.of("raft-core", "raft-storage", "raft-transport-netty", "raft-metrics-micrometer",
                "raft-admin")) {
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(ROOT.resolve(module).resolve("pom.xml").toFile());
            assertThat(d.getElementsByTagName("description").getLength()).as(module + " <description>").isPositive();
        }
    }

    @Test
    void bomManagesEveryLibraryModule() throws Exception {
        String bom = Files.readString(ROOT.resolve("bom/pom.xml"));
        assertThat(bom).contains("<artifactId>raft-core</artifactId>", "<artifactId>raft-storage</artifactId>",
                "<artifactId>raft-transport-netty</artifactId>", "<artifactId>raft-metrics-micrometer</artifactId>",
                "<artifactId>raft-admin</artifactId>");
    }
}
