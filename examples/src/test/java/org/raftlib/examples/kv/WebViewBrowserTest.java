package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web view in headless Chromium, served by the launcher ({@code cluster}) of a local three-node cluster (one JVM
 * per node, as {@code raftlib-kv.jar cluster} runs them): the page shows the three nodes and one leader, a write
 * from the page, a node stopped and restarted from the page, and a leadership transfer. Skipped when Chromium or
 * ChromeDriver is missing ({@code apt-get install chromium chromium-driver}); a failure leaves a screenshot in
 * {@code target/}. With {@code -Dwebview.screenshot=FILE} it also saves a screenshot of the running page there
 * (how {@code docs/web-view.png} was made).
 */
class WebViewBrowserTest {

    private static final Path CHROMIUM = Path.of(System.getProperty("webview.chromium", "/usr/bin/chromium"));
    private static final Path DRIVER = Path.of(System.getProperty("webview.chromedriver", "/usr/bin/chromedriver"));
    private static final Duration STEP = Duration.ofSeconds(20);
    private static final Duration RESTART = Duration.ofSeconds(90);
    private static final String LEADERS = "#nodes .node[data-role='LEADER']";
    private static final String FOLLOWERS = "#nodes .node[data-role='FOLLOWER']";

    @TempDir
    Path dir;

    private KvCluster cluster;
    private WebDriver browser;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: no Chromium at " + CHROMIUM
                + " (apt-get install chromium chromium-driver, or -Dwebview.chromium=PATH)");
        assumeTrue(Files.isExecutable(DRIVER), "skipped: no ChromeDriver at " + DRIVER
                + " (apt-get install chromium-driver, or -Dwebview.chromedriver=PATH)");
        cluster = new KvCluster(KvCluster.members(3, 0), 3, dir, 0);
        assertThat(cluster.start(false)).as("the launcher starts three nodes").isTrue();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().window().setSize(new Dimension(1280, 1000));
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (cluster != null) {
            cluster.stop();
        }
    }

    @Test
    void pageShowsTheClusterAWriteAStoppedNodeAndATransfer(TestInfo test) throws Exception {
        try {
            run();
        } catch (Throwable t) {
            screenshot(Path.of("target", "webview-failure-" + test.getTestMethod().orElseThrow().getName() + ".png"));
            throw t;
        }
    }

    private void run() throws IOException {
        String url = cluster.webUri().orElseThrow().toString();
        browser.get(url);
        await("three nodes and exactly one leader", STEP, b -> ids("#nodes .node").size() == 3 && leaderCount() == 1);
        assertThat(ids("#nodes .node")).containsExactly("n1", "n2", "n3");
        assertThat(browser.findElement(By.id("controls-note")).isDisplayed()).isFalse();

        long commitBefore = minCommit();
        write("planet", "mars");
        await("every node's commit index to pass " + commitBefore, STEP, b -> minCommit() > commitBefore);

        String victim = ids(FOLLOWERS).get(0);
        click("button.stop[data-id='" + victim + "']");
        await(victim + " shown down", STEP, b -> "false".equals(attr(card(victim), "data-up"))
                && "DOWN".equals(attr(card(victim), "data-role")));
        await("the event strip to report " + victim + " down", STEP, b -> events().contains(victim + " is down"));
        await("one leader among the others", STEP, b -> leaderCount() == 1);

        click("button.restart[data-id='" + victim + "']");
        await(victim + " up again", RESTART, b -> "true".equals(attr(card(victim), "data-up")));

        String target = ids(FOLLOWERS).stream().filter(id -> !id.equals(victim)).findFirst().orElseThrow();
        click("button.transfer[data-id='" + target + "']");
        await(target + " to lead", STEP, b -> List.of(target).equals(ids(LEADERS)));
        await("the event strip to report the new leader", STEP,
                b -> events().contains(target + " became LEADER"));
        String screenshot = System.getProperty("webview.screenshot");
        if (screenshot != null && !screenshot.isBlank()) {
            long before = maxCommit();
            for (String planet : List.of("venus", "earth", "jupiter", "saturn")) {
                write("planet", planet);
            }
            await("every log row to show the writes committed", STEP,
                    b -> minCommit() >= before + 4 && minCommit() == maxCommit());
            screenshot(Path.of(screenshot));
        }
    }

    private void write(String key, String value) {
        browser.findElement(By.id("put-key")).clear();
        browser.findElement(By.id("put-key")).sendKeys(key);
        browser.findElement(By.id("put-value")).clear();
        browser.findElement(By.id("put-value")).sendKeys(value);
        click("#put-button");
        await("the write to be reported", STEP, b -> events().contains("write " + key + "=" + value + ": done"));
    }

    private void await(String what, Duration timeout, Function<WebDriver, Boolean> condition) {
        new WebDriverWait(browser, timeout, Duration.ofMillis(100)).withMessage("waiting for " + what)
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(condition);
    }

    // The page redraws every 250 ms: elements are read and clicked by one script call each, with retries, so that a
    // redraw between finding an element and using it does not fail the test.

    /** Returns the attribute {@code name} of every element matching {@code css}, in document order. */
    @SuppressWarnings("unchecked")
    private List<String> attrs(String css, String name) {
        Object r = script("var name = arguments[1]; return Array.from(document.querySelectorAll(arguments[0]))"
                + ".map(function (e) { return e.getAttribute(name); });", css, name);
        return (List<String>) r;
    }

    private Object script(String js, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(js, args);
    }

    private List<String> ids(String css) {
        return attrs(css, "data-id");
    }

    private String attr(String css, String name) {
        List<String> all = attrs(css, name);
        return all.isEmpty() ? null : all.get(0);
    }

    private static String card(String id) {
        return "#nodes .node[data-id='" + id + "']";
    }

    private int leaderCount() {
        return ids(LEADERS).size();
    }

    /**
     * Clicks the first enabled element matching {@code css} in one script call: finding it and clicking it through
     * WebDriver are two calls, and on a loaded machine a redraw between them made every try stale for the whole step.
     */
    private void click(String css) {
        await("a click on " + css, STEP, b -> Boolean.TRUE.equals(script("var e = document.querySelector(arguments[0]);"
                + " if (!e || e.disabled) { return false; } e.click(); return true;", css)));
    }

    private String events() {
        return (String) script("return Array.from(document.querySelectorAll('#events li'))"
                + ".map(function (e) { return e.textContent; }).join('\\n');");
    }

    /** The lowest commit index the log rows show (-1 unless there are three rows, each with one). */
    private long minCommit() {
        List<Long> c = commits();
        return c.size() == 3 && !c.contains(-1L) ? c.stream().mapToLong(Long::longValue).min().orElse(-1) : -1;
    }

    private long maxCommit() {
        return commits().stream().mapToLong(Long::longValue).max().orElse(-1);
    }

    private List<Long> commits() {
        return attrs("#logs .logrow", "data-commit").stream()
                .map(c -> c == null || c.isEmpty() ? -1L : Long.parseLong(c)).toList();
    }

    private void screenshot(Path file) throws IOException {
        if (browser instanceof ChromeDriver c) {
            Path shot = c.getScreenshotAs(OutputType.FILE).toPath();
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.copy(shot, file, StandardCopyOption.REPLACE_EXISTING);
            System.out.println("screenshot: " + file.toAbsolutePath());
        }
    }
}
