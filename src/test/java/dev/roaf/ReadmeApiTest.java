package dev.roaf;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** README's "Java API" section is the embedding example's code, character for character. */
class ReadmeApiTest {
    private static final Pattern INCLUDED = Pattern.compile(
            "<!-- BEGIN (\\S+) -->\\n```java\\n(.*?)```\\n<!-- END \\1 -->", Pattern.DOTALL);

    @Test
    void javaApiSectionIsTheExampleVerbatim() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## Java API\n");
        assertTrue(section >= 0, "README.md has no '## Java API' section");
        int next = readme.indexOf("\n## ", section + 1);
        String text = readme.substring(section, next < 0 ? readme.length() : next);
        Matcher m = INCLUDED.matcher(text);
        assertTrue(m.find(), "the Java API section has no <!-- BEGIN file --> ```java ... ``` <!-- END file --> block");
        Path file = Path.of(m.group(1));
        assertEquals("examples/embed/src/main/java/example/EmbedExample.java", file.toString());
        assertEquals(Files.readString(file), m.group(2),
                "README's Java API code differs from " + file + "; copy the file into the README again");
    }
}
