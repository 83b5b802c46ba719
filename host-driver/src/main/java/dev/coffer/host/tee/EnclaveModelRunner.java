package dev.coffer.host.tee;

import dev.coffer.inference.Generator;
import dev.coffer.secureworld.InferenceCalls;
import dev.coffer.secureworld.InferenceCalls.ModelSummary;
import dev.coffer.secureworld.InferenceCalls.Start;
import dev.coffer.secureworld.InferenceCalls.Tokens;
import dev.coffer.tee.Enclave;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongConsumer;

/**
 * The host's control plane for a model inside the secure world: it reads the model file (the secure world opens no
 * files), copies it through the staging buffer chunk by chunk, and asks for tokens one crossing at a time.
 */
public final class EnclaveModelRunner {
    /** Receives the bytes of each token batch as it arrives; return false to stop. */
    @FunctionalInterface
    public interface TokenSink {
        boolean accept(byte[] bytes);
    }

    private final Enclave enclave;

    public EnclaveModelRunner(Enclave enclave) {
        this.enclave = enclave;
    }

    /** Copies a plaintext GGUF into the secure world's secret memory and builds the model there. */
    public ModelSummary loadPlaintext(Path gguf, int contextLength, LongConsumer progress) throws IOException {
        MemorySegment staging = enclave.staging();
        try (FileChannel ch = FileChannel.open(gguf, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            enclave.call(InferenceCalls.LOAD_BEGIN, size);
            for (long off = 0; off < size; ) {
                int n = (int) Math.min(staging.byteSize(), size - off);
                MemorySegment.copy(file, off, staging, 0, n);
                enclave.call(InferenceCalls.LOAD_CHUNK, new InferenceCalls.Chunk(off, n));
                off += n;
                progress.accept(n);
            }
        }
        return enclave.call(InferenceCalls.LOAD_END, contextLength);
    }

    /** Runs one generation, streaming token bytes to {@code sink}; one crossing per token, plus one for the stats. */
    public Generator.Stats generate(Start request, TokenSink sink) {
        Tokens t = enclave.call(InferenceCalls.START, request);
        while (sink.accept(t.bytes()) && !t.ended()) {
            t = enclave.call(InferenceCalls.NEXT, 1);
        }
        return enclave.call(InferenceCalls.STATS_CALL, null);
    }
}
