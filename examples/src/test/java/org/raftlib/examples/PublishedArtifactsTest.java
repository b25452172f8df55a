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
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

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

    /**
     * Nothing a user's classpath could already hold: a library jar's classes and resources are under
     * {@code org/raftlib/} (relocated dependencies under {@code org/raftshaded/}) or {@code META-INF/}. The transport
     * shipped {@code raft.proto} and {@code admin.proto} at the jar's root, where another jar's file of that name
     * clashes, and the admin module a {@code simplelogger.properties} that configured a user's slf4j-simple.
     */
    @ParameterizedTest
    @ValueSource(strings = {"raft-core", "raft-storage", "raft-transport-netty", "raft-metrics-micrometer",
        "raft-admin"})
    void libraryJarHoldsNothingOutsideItsOwnPackages(String module) throws IOException {
        Path main = ROOT.resolve(module).resolve("target").resolve(module + "-" + VERSION + ".jar");
        Assumptions.assumeTrue(Files.exists(main), () -> "skipped: " + main + " not built (run mvn verify)");
        try (JarFile jar = new JarFile(main.toFile())) {
            List<String> stray = jar.stream().map(e -> e.getName())
                    .filter(n -> !n.startsWith("META-INF/") && !n.startsWith("org/raftlib/")
                            && !n.startsWith("org/raftshaded/") && !n.equals("org/"))
                    .toList();
            assertThat(stray).as(main.toString()).isEmpty();
        }
    }

    /** A library never brings an slf4j binding to a user's classpath: only tests or the runnable jars use one. */
    @Test
    void noLibraryModuleBringsALoggingBinding() throws Exception {
        for (String module : List.of("raft-core", "raft-storage", "raft-transport-netty", "raft-metrics-micrometer",
                "raft-admin")) {
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(ROOT.resolve(module).resolve("pom.xml").toFile());
            NodeList deps = d.getElementsByTagName("dependency");
            for (int i = 0; i < deps.getLength(); i++) {
                Element dep = (Element) deps.item(i);
                String artifact = text(dep, "artifactId");
                if (artifact.equals("slf4j-simple") || artifact.startsWith("logback") || artifact.contains("reload4j")
                        || artifact.startsWith("log4j-slf4j")) {
                    assertThat(text(dep, "scope").equals("test") || text(dep, "optional").equals("true"))
                            .as(module + " depends on " + artifact + " outside tests and not optionally").isTrue();
                }
            }
        }
    }

    private static String text(Element e, String tag) {
        NodeList l = e.getElementsByTagName(tag);
        return l.getLength() == 0 ? "" : l.item(0).getTextContent().trim();
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
