package dev.coffer.attestation.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.fingerprint.ProbeTrace;
import dev.coffer.inference.testing.SharedAssets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reference fingerprints: the same stack gives the same bits whatever the thread count; they survive JSON exactly;
 *  comparison counts exact positions and finds differences. */
class ReferenceFingerprintsTest {
    @Test
    void theSameStackGivesIdenticalFingerprintsForAnyThreadCount() throws Exception {
        var model = SharedAssets.require("models/stories260K-q4_0-mix.gguf");
        ReferenceFingerprints one = ReferenceRecorder.record(model, 1);
        for (int threads : new int[] {2, 3}) {
            ReferenceFingerprints other = ReferenceRecorder.record(model, threads);
            assertThat(FingerprintComparison.compare(one.probes(), other.probes()).exactMatch()).as(threads + " threads").isTrue();
        }
        assertThat(one.stack().weights()).isEqualTo("Q4_0");
    }

    @Test
    void jsonKeepsEveryBitAndComparisonFindsChanges() throws Exception {
        ReferenceFingerprints refs = ReferenceRecorder.record(SharedAssets.require("models/stories260K.gguf"), 2);
        ReferenceFingerprints back = ReferenceFingerprints.parse(refs.toJson());
        assertThat(back.stack()).isEqualTo(refs.stack());
        FingerprintComparison same = FingerprintComparison.compare(refs.probes(), back.probes());
        assertThat(same.exactMatch()).isTrue();
        assertThat(same.positions()).isEqualTo(refs.probes().stream().mapToInt(p -> p.positions().size()).sum());

        // one log-probability one ulp off is no longer an exact match
        ProbeTrace first = refs.probes().getFirst();
        ProbeTrace.Position p = first.positions().getFirst();
        ProbeTrace.Position nudged = new ProbeTrace.Position(p.token(), Math.nextUp(p.logprob()), p.top(), p.topLogprobs());
        List<ProbeTrace.Position> positions = new java.util.ArrayList<>(first.positions());
        positions.set(0, nudged);
        List<ProbeTrace> changed = new java.util.ArrayList<>(refs.probes());
        changed.set(0, new ProbeTrace(first.prompt(), positions));
        FingerprintComparison c = FingerprintComparison.compare(refs.probes(), changed);
        assertThat(c.exactMatch()).isFalse();
        assertThat(c.exact()).isEqualTo(c.positions() - 1);
        assertThat(c.sameToken()).isEqualTo(c.positions());
        assertThatThrownBy(() -> ReferenceFingerprints.parse("{\"format\":\"other\"}".getBytes())).isInstanceOf(IllegalArgumentException.class);
    }
}
