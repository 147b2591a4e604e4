package dev.roaf;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** README's "Benchmarks" table is a headline.md that {@code roaf bench} wrote into bench/results, character for character. */
class ReadmeBenchTest {
    private static final Pattern INCLUDED = Pattern.compile(
            "<!-- BEGIN (bench/results/\\S+/headline\\.md) -->\\n(.*?)<!-- END \\1 -->", Pattern.DOTALL);

    @Test
    void benchmarksSectionIsTheGeneratedHeadline() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## Benchmarks\n");
        assertTrue(section >= 0, "README.md has no '## Benchmarks' section");
        int next = readme.indexOf("\n## ", section + 1);
        String text = readme.substring(section, next < 0 ? readme.length() : next);
        Matcher m = INCLUDED.matcher(text);
        assertTrue(m.find(), "the Benchmarks section has no <!-- BEGIN bench/results/.../headline.md --> ... <!-- END ... --> block");
        Path file = Path.of(m.group(1));
        assertTrue(Files.isRegularFile(file), file + " does not exist");
        assertTrue(Files.isRegularFile(file.resolveSibling("results.json")), "no results.json next to " + file);
        assertEquals(Files.readString(file), m.group(2),
                "README's benchmark table differs from " + file + "; copy the file into the README again");
    }
}
