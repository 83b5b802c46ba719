package dev.coffer.inference.fingerprint;

import dev.coffer.inference.Generation;
import dev.coffer.inference.Generator;
import dev.coffer.inference.chat.ChatMessage;
import dev.coffer.inference.chat.ChatTemplate;
import dev.coffer.inference.model.Session;
import dev.coffer.inference.sampling.Sampler;
import dev.coffer.inference.sampling.SamplerConfig;
import dev.coffer.inference.sampling.TokenLogprobs;
import dev.coffer.inference.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs probes the way Coffer's server answers {@code POST /v1/chat/completions} with one user message,
 * {@code temperature: 0}, {@code logprobs: true}, {@code top_logprobs: k}: the model's chat template, tokenized with
 * special tokens parsed, greedy decoding, log-softmax of the raw logits. The model owner records these traces as
 * reference fingerprints at pack time; a client replays the probes against a server and compares.
 */
public final class Fingerprinter {
    /** The default probes: short, varied prompts (any text works; these are fixed so packs are comparable). */
    public static final List<String> DEFAULT_PROBES = List.of("Hello", "Once upon a time", "The capital of France is",
            "1, 2, 3, 4,", "Write a haiku about the sea.", "def fibonacci(n):");
    public static final int DEFAULT_TOKENS = 8;
    public static final int DEFAULT_TOP = 5;

    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final Session session;

    public Fingerprinter(Tokenizer tokenizer, ChatTemplate template, Session session) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.session = session;
    }

    public ProbeTrace trace(String prompt, int maxTokens, int top) {
        session.reset();
        int[] tokens = tokenizer.encode(template.render(List.of(ChatMessage.user(prompt)), true), true, true);
        int room = session.contextLength() - tokens.length;
        if (room < 1) throw new IllegalArgumentException("the probe '" + prompt + "' does not fit the context");
        Generation g = new Generator(tokenizer, session, new Sampler(SamplerConfig.greedy()))
                .start(tokens, Math.min(maxTokens, room), false);
        List<ProbeTrace.Position> positions = new ArrayList<>();
        for (int t; (t = g.next()) != Generation.END; ) {
            TokenLogprobs lp = g.logprobs(top);
            List<byte[]> alternatives = new ArrayList<>();
            for (int id : lp.top()) alternatives.add(tokenizer.tokenBytes(id));
            positions.add(new ProbeTrace.Position(tokenizer.tokenBytes(t), lp.logprob(), alternatives, lp.topLogprobs()));
        }
        return new ProbeTrace(prompt, positions);
    }

    public List<ProbeTrace> traceAll(List<String> prompts, int maxTokens, int top) {
        List<ProbeTrace> out = new ArrayList<>();
        for (String p : prompts) out.add(trace(p, maxTokens, top));
        return List.copyOf(out);
    }
}
