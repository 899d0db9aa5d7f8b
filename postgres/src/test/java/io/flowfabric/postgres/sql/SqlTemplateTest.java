package io.flowfabric.postgres.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SqlTemplateTest {

    private final SqlTemplate template = new SqlTemplate("ff");

    @Test
    @DisplayName("render quotes the schema and compacts whitespace and comments outside quotes")
    void compactsOutsideQuotes() {
        String sql = "WITH o AS (   -- the locked row\n"
                + "  SELECT x.a,  'two  spaces -- not a comment' AS lit, \"Odd  \"\"Name\"\"\" AS q\n"
                + "  FROM {s}.t x\n"
                + "  WHERE x.b = $1\n"
                + ")\n"
                + "SELECT * FROM o";
        assertThat(template.render(sql)).isEqualTo("WITH o AS ( SELECT x.a, 'two  spaces -- not a comment' AS lit, "
                + "\"Odd  \"\"Name\"\"\" AS q FROM \"ff\".t x WHERE x.b = $1 ) SELECT * FROM o");
    }

    @Test
    @DisplayName("a doubled quote inside a literal stays inside it")
    void doubledQuote() {
        assertThat(template.render("SELECT  'it''s   here'  ,\n  1")).isEqualTo("SELECT 'it''s   here' , 1");
    }

    @Test
    @DisplayName("text with a dollar quote, an E'' string or an unterminated quote is left as written")
    void leftAlone() {
        String dollar = "SELECT  $$ a  b $$";
        String escape = "SELECT  E'a\\'  b'";
        String open = "SELECT  'abc";
        assertThat(template.render(dollar)).isEqualTo(dollar);
        assertThat(template.render(escape)).isEqualTo(escape);
        assertThat(template.render(open)).isEqualTo(open);
    }

    @Test
    @DisplayName("positional parameters are not mistaken for dollar quotes")
    void parameters() {
        assertThat(template.render("SELECT $1::text,\n   $2")).isEqualTo("SELECT $1::text, $2");
    }

    @Test
    @DisplayName("a schema name outside [a-z_][a-z0-9_]* is rejected")
    void badSchema() {
        assertThatThrownBy(() -> new SqlTemplate("Bad-Name")).isInstanceOf(IllegalArgumentException.class);
    }
}
