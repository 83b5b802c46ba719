package dev.coffer.inference.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1f, 5f, 3f, 4.5f, -2f, 0f};

    @Test
    void greedyTakesTheArgmaxAndTheLowestIdOnTies() {
        assertThat(new Sampler(SamplerConfig.greedy()).sample(LOGITS)).isEqualTo(1);
        assertThat(Sampler.argmax(new float[] {2f, 7f, 7f})).isEqualTo(1);
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        SamplerConfig c = new SamplerConfig(1.5f, 0, 1f, 0f, 1f, 64, 42);
        assertThat(draws(c, 200)).isEqualTo(draws(c, 200));
        assertThat(draws(c, 200)).isNotEqualTo(draws(new SamplerConfig(1.5f, 0, 1f, 0f, 1f, 64, 43), 200));
    }

    @Test
    void topKOneIsGreedyWhateverTheTemperature() {
        Map<Integer, Integer> counts = histogram(new SamplerConfig(5f, 1, 1f, 0f, 1f, 64, 7), 300);
        assertThat(counts).containsOnlyKeys(1);
    }

    @Test
    void topKKeepsOnlyTheBestK() {
        assertThat(histogram(new SamplerConfig(50f, 2, 1f, 0f, 1f, 64, 7), 500)).containsOnlyKeys(1, 3);
    }

    @Test
    void topPCutsTheTail() {
        // softmax of LOGITS: token 1 ~0.54, token 3 ~0.33, token 2 ~0.07 ...: top-p 0.8 keeps tokens 1 and 3.
        assertThat(histogram(new SamplerConfig(1f, 0, 0.8f, 0f, 1f, 64, 7), 500)).containsOnlyKeys(1, 3);
    }

    @Test
    void minPDropsTokensFarBelowTheBest() {
        // p(3)/p(1) = e^-0.5 ~ 0.61, p(2)/p(1) = e^-2 ~ 0.14: min-p 0.5 keeps 1 and 3.
        assertThat(histogram(new SamplerConfig(1f, 0, 1f, 0.5f, 1f, 64, 7), 500)).containsOnlyKeys(1, 3);
    }

    @Test
    void temperatureFollowsTheDistribution() {
        Map<Integer, Integer> h = histogram(new SamplerConfig(1f, 0, 1f, 0f, 1f, 64, 11), 4000);
        assertThat(h.get(1) / 4000.0).isBetween(0.50, 0.59);
        assertThat(h.get(3) / 4000.0).isBetween(0.29, 0.37);
    }

    @Test
    void repetitionPenaltyDemotesRecentTokens() {
        Sampler s = new Sampler(new SamplerConfig(0f, 0, 1f, 0f, 10f, 64, 0));
        s.accept(1);
        assertThat(s.sample(LOGITS)).isEqualTo(3);
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new SamplerConfig(Float.NaN, 0, 1f, 0f, 1f, 64, 0)).hasMessageContaining("numbers");
        assertThatThrownBy(() -> new SamplerConfig(1f, 0, 0f, 0f, 1f, 64, 0)).hasMessageContaining("top-p");
        assertThatThrownBy(() -> new SamplerConfig(1f, 0, 1f, 0f, 0f, 64, 0)).hasMessageContaining("repeat penalty");
    }

    private static int[] draws(SamplerConfig c, int n) {
        Sampler s = new Sampler(c);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(LOGITS);
        return out;
    }

    private static Map<Integer, Integer> histogram(SamplerConfig c, int n) {
        Map<Integer, Integer> h = new HashMap<>();
        for (int t : draws(c, n)) h.merge(t, 1, Integer::sum);
        return h;
    }
}
