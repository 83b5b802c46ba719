package dev.coffer.bench;

import java.util.List;

/** The largest difference between a peer's top-k next-token probabilities and Coffer's for the same tokens. */
record ProbabilityGap(double diff, String prompt, int token) {
    static final ProbabilityGap NONE = new ProbabilityGap(0, "", -1);

    static ProbabilityGap of(String prompt, List<TokenProbability> peerTop, double[] coffer) {
        ProbabilityGap worst = NONE;
        for (TokenProbability t : peerTop) {
            double d = Math.abs(t.probability() - coffer[t.token()]);
            if (d > worst.diff) worst = new ProbabilityGap(d, prompt, t.token());
        }
        return worst;
    }

    ProbabilityGap max(ProbabilityGap other) {
        return other.diff > diff ? other : this;
    }
}
