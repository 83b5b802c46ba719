package dev.coffer.secureworld.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextAssemblerTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aCharacterSplitAcrossTokensGoesOutWhole() {
        TextAssembler t = new TextAssembler(List.of());
        byte[] euro = b("€"); // 3 bytes
        assertThat(t.add(new byte[] {euro[0]})).isEmpty();
        assertThat(t.add(new byte[] {euro[1]})).isEmpty();
        assertThat(t.add(new byte[] {euro[2], 'x'})).isEqualTo("€x");
        byte[] smile = b("😀"); // 4 bytes
        assertThat(t.add(new byte[] {smile[0], smile[1]})).isEmpty();
        assertThat(t.finish()).isEqualTo("\uFFFD"); // an unfinished character at the end is shown as such
    }

    @Test
    void aStopSequenceAcrossTokensEndsTheTextBeforeIt() {
        TextAssembler t = new TextAssembler(List.of("END", "\n\n"));
        assertThat(t.add(b("Hello E"))).isEqualTo("Hello ");
        assertThat(t.add(b("N"))).isEmpty();
        assertThat(t.add(b("Dless"))).isEmpty();
        assertThat(t.stopped()).isTrue();
        assertThat(t.add(b("more"))).isEmpty();
    }

    @Test
    void heldBackTextGoesOutWhenItIsNotAStop() {
        TextAssembler t = new TextAssembler(List.of("STOP"));
        assertThat(t.add(b("a ST"))).isEqualTo("a ");
        assertThat(t.add(b("AR"))).isEqualTo("STAR");
        assertThat(t.add(b("S"))).isEmpty();
        assertThat(t.finish()).isEqualTo("S");
        assertThat(t.stopped()).isFalse();
    }

    @Test
    void theEarliestStopWins() {
        TextAssembler t = new TextAssembler(List.of("b", "ab"));
        assertThat(t.add(b("xab"))).isEqualTo("x");
    }
}
