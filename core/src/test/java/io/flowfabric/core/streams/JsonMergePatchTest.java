package io.flowfabric.core.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowfabric.core.error.ValidationException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonMergePatchTest {

    private static JsonNode json(String text) {
        return JsonMergePatch.parse(text);
    }

    private static String apply(@Nullable String target, String patch) {
        return JsonMergePatch.write(JsonMergePatch.apply(target == null ? null : json(target), json(patch)));
    }

    /** The examples of RFC 7396 appendix A. */
    @ParameterizedTest(name = "{0} + {1} = {2}")
    @CsvSource(delimiter = '|', value = {
            "{\"a\":\"b\"}              | {\"a\":\"c\"}             | {\"a\":\"c\"}",
            "{\"a\":\"b\"}              | {\"b\":\"c\"}             | {\"a\":\"b\",\"b\":\"c\"}",
            "{\"a\":\"b\"}              | {\"a\":null}              | {}",
            "{\"a\":\"b\",\"b\":\"c\"}  | {\"a\":null}              | {\"b\":\"c\"}",
            "{\"a\":[\"b\"]}            | {\"a\":\"c\"}             | {\"a\":\"c\"}",
            "{\"a\":\"c\"}              | {\"a\":[\"b\"]}           | {\"a\":[\"b\"]}",
            "{\"a\":{\"b\":\"c\"}}      | {\"a\":{\"b\":\"d\",\"c\":null}} | {\"a\":{\"b\":\"d\"}}",
            "{\"a\":[{\"b\":\"c\"}]}    | {\"a\":[1]}               | {\"a\":[1]}",
            "[\"a\",\"b\"]              | [\"c\",\"d\"]             | [\"c\",\"d\"]",
            "{\"a\":\"b\"}              | [\"c\"]                   | [\"c\"]",
            "{\"a\":\"foo\"}            | null                      | null",
            "{\"a\":\"foo\"}            | \"bar\"                   | \"bar\"",
            "{\"e\":null}               | {\"a\":1}                 | {\"e\":null,\"a\":1}",
            "[1,2]                      | {\"a\":\"b\",\"c\":null}  | {\"a\":\"b\"}",
            "{}                         | {\"a\":{\"bb\":{\"ccc\":null}}} | {\"a\":{\"bb\":{}}}"})
    void followsRfc7396(String target, String patch, String expected) {
        assertThat(json(apply(target.strip(), patch.strip()))).isEqualTo(json(expected.strip()));
    }

    @Test
    @DisplayName("ST-02: patches accumulate; the sentinel sets an explicit null; a plain null deletes")
    void summarySequenceOfSt02() {
        String doc = apply(null, "{\"a\":1}");
        doc = apply(doc, "{\"b\":2}");
        doc = apply(doc, "{\"a\":42,\"c\":{\"x\":\"__ff_null__\"}}");
        doc = apply(doc, "{\"b\":null}");
        assertThat(json(doc)).isEqualTo(json("{\"a\":42,\"c\":{\"x\":null}}"));
        assertThat(json(doc).get("c").has("x")).isTrue();
        assertThat(json(doc).get("c").get("x").isNull()).isTrue();
    }

    @Test
    void nestedObjectsMergeRecursively() {
        assertThat(json(apply("{\"p\":{\"q\":{\"r\":1,\"s\":2},\"t\":3}}", "{\"p\":{\"q\":{\"r\":10,\"u\":4}}}")))
                .isEqualTo(json("{\"p\":{\"q\":{\"r\":10,\"s\":2,\"u\":4},\"t\":3}}"));
    }

    @Test
    @DisplayName("an object patch over a non-object member or document starts from {}")
    void objectPatchReplacesNonObjectTarget() {
        assertThat(json(apply("{\"a\":5}", "{\"a\":{\"b\":1}}"))).isEqualTo(json("{\"a\":{\"b\":1}}"));
        assertThat(json(apply("\"text\"", "{\"a\":1}"))).isEqualTo(json("{\"a\":1}"));
        assertThat(json(apply(null, "{\"a\":null}"))).isEqualTo(json("{}"));
    }

    @Test
    @DisplayName("a non-object patch replaces the document, with sentinels inside it turned into null")
    void nonObjectPatchReplacesAndResolvesSentinels() {
        assertThat(json(apply("{\"a\":1}", "[\"__ff_null__\",1,{\"k\":\"__ff_null__\"}]")))
                .isEqualTo(json("[null,1,{\"k\":null}]"));
        assertThat(json(apply("{\"a\":1}", "\"__ff_null__\"")).isNull()).isTrue();
        assertThat(json(apply("{\"a\":1}", "{\"a\":[\"__ff_null__\"]}"))).isEqualTo(json("{\"a\":[null]}"));
    }

    @Test
    void sentinelAtTopLevelOfAnObjectPatchSetsNull() {
        assertThat(apply("{\"a\":1}", "{\"a\":\"__ff_null__\",\"b\":\"__ff_null__\"}"))
                .isEqualTo("{\"a\":null,\"b\":null}");
    }

    @Test
    void inputsAreNotModified() {
        JsonNode target = json("{\"a\":{\"b\":1}}");
        JsonNode patch = json("{\"a\":{\"c\":\"__ff_null__\"},\"d\":[\"__ff_null__\"]}");
        JsonNode targetCopy = target.deepCopy();
        JsonNode patchCopy = patch.deepCopy();
        JsonMergePatch.apply(target, patch);
        assertThat(target).isEqualTo(targetCopy);
        assertThat(patch).isEqualTo(patchCopy);
    }

    @Test
    void numbersKeepTheirExactForm() {
        assertThat(apply(null, "{\"big\":123456789012345678901234567890,\"dec\":1.10,\"tiny\":1e-400}"))
                .isEqualTo("{\"big\":123456789012345678901234567890,\"dec\":1.10,\"tiny\":1E-400}");
    }

    @Test
    @DisplayName("malformed, trailing, duplicate-key, over-deep or non-UTF-8 input is INVALID_JSON")
    void rejectsInvalidJson() {
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 65; i++) {
            deep.append('[');
        }
        for (int i = 0; i < 65; i++) {
            deep.append(']');
        }
        for (String bad : new String[] {"", "  ", "{", "not json", "{\"a\":1} {}", "{\"a\":1,\"a\":2}", "[1,]",
                deep.toString()}) {
            assertInvalidJson(bad.getBytes(StandardCharsets.UTF_8));
        }
        assertInvalidJson(new byte[] {'"', (byte) 0xC3, '"'});
        assertInvalidJson(new byte[] {(byte) 0xFF, (byte) 0xFE, '{', 0, '}', 0});
    }

    @Test
    void acceptsSixtyFourLevels() {
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            deep.append('[');
        }
        for (int i = 0; i < 64; i++) {
            deep.append(']');
        }
        assertThat(JsonMergePatch.parse(deep.toString()).isArray()).isTrue();
    }

    private static void assertInvalidJson(byte[] bytes) {
        assertThatThrownBy(() -> JsonMergePatch.parse(bytes))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.kind()).isEqualTo(ValidationException.Kind.INVALID_JSON));
    }
}
