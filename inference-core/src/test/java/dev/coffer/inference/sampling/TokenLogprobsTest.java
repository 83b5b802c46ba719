package dev.coffer.inference.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TokenLogprobsTest {
    @Test
    void logprobsAreTheLogSoftmaxAndTheTopListIsOrdered() {
        float[] logits = {1f, 3f, 2f, 3f, -1f};
        TokenLogprobs lp = TokenLogprobs.of(logits, 2, 3);
        double z = Math.log(Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(3) + Math.exp(-1));
        assertThat((double) lp.logprob()).isCloseTo(2 - z, within(1e-6));
        assertThat(lp.top()).containsExactly(1, 3, 2);
        assertThat((double) lp.topLogprobs()[0]).isCloseTo(3 - z, within(1e-6));
        double total = 0;
        for (float l : logits) total += Math.exp(l - z);
        assertThat(total).isCloseTo(1.0, within(1e-12));
        assertThat(TokenLogprobs.of(logits, 0, 0).top()).isEmpty();
        assertThat(TokenLogprobs.of(logits, 0, 20).top()).hasSize(5).startsWith(1, 3, 2, 0, 4);
        assertThatThrownBy(() -> TokenLogprobs.of(logits, 0, 21)).hasMessageContaining("0..20");
    }

    @Test
    void theSameLogitsGiveTheSameBits() {
        float[] logits = new float[32000];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < logits.length; i++) logits[i] = (float) r.nextGaussian() * 4;
        TokenLogprobs a = TokenLogprobs.of(logits, 17, 5);
        TokenLogprobs b = TokenLogprobs.of(logits.clone(), 17, 5);
        assertThat(Float.floatToRawIntBits(a.logprob())).isEqualTo(Float.floatToRawIntBits(b.logprob()));
        assertThat(a.topLogprobs()).containsExactly(b.topLogprobs());
    }
}
