package dev.coffer.inference.sampling;

/**
 * How the next token is chosen. {@code temperature <= 0} means greedy (argmax). Filters that are switched off:
 * {@code topK <= 0}, {@code topP >= 1}, {@code minP <= 0}, {@code repeatPenalty == 1}.
 *
 * @param repeatLastN how many recent tokens the repetition penalty looks at
 * @param seed        seed of the random choice, so a run can be reproduced exactly
 */
public record SamplerConfig(float temperature, int topK, float topP, float minP, float repeatPenalty,
                            int repeatLastN, long seed) {
    public SamplerConfig {
        if (Float.isNaN(temperature) || Float.isNaN(topP) || Float.isNaN(minP) || Float.isNaN(repeatPenalty)) {
            throw new IllegalArgumentException("sampler parameters must be numbers");
        }
        if (topP <= 0) throw new IllegalArgumentException("top-p must be > 0 (1 disables it): " + topP);
        if (minP >= 1) throw new IllegalArgumentException("min-p must be < 1 (0 disables it): " + minP);
        if (repeatPenalty <= 0) throw new IllegalArgumentException("repeat penalty must be > 0: " + repeatPenalty);
        if (repeatLastN < 0) throw new IllegalArgumentException("repeat-last-n must be >= 0: " + repeatLastN);
    }

    public static SamplerConfig greedy() {
        return new SamplerConfig(0f, 0, 1f, 0f, 1f, 64, 0);
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no repetition penalty. */
    public static SamplerConfig defaults(long seed) {
        return new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1f, 64, seed);
    }

    public boolean isGreedy() { return temperature <= 0; }
}
