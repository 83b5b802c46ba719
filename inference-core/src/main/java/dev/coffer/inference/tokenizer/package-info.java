/**
 * Tokenizers built from GGUF metadata, matching llama.cpp's {@code llama-vocab.cpp} and {@code unicode.cpp}
 * (checked against llama.cpp's own tests/test-tokenizer-0 data). Entry point: {@link
 * dev.coffer.inference.tokenizer.Tokenizer#fromGguf}.
 *
 * <p>Where we knowingly differ from llama.cpp, and why:
 * <ul>
 *   <li>{@code decode} drops the space that SentencePiece's space prefix put before the first word even when the
 *       ids start with BOS (llama.cpp's detokenize stops stripping after any first token, BOS included), so that
 *       {@code decode(encode(s, true, false)) == s}. It does not apply llama.cpp's {@code clean_spaces} rewrites
 *       (" ," -> ","), which are lossy and cannot be applied to a token stream piece by piece; decode is exactly
 *       the concatenation of {@code tokenBytes}.</li>
 *   <li>A SentencePiece vocabulary without a byte token for some byte: llama.cpp throws, we emit the unknown
 *       token (and throw {@link dev.coffer.inference.tokenizer.UnsupportedTokenizerException} if there is
 *       none).</li>
 *   <li>Special tokens of equal length are cut out of the text in id order (llama.cpp's std::sort leaves their
 *       order unspecified); when several tokens match llama.cpp's end-of-turn texts, the lowest id wins
 *       (llama.cpp takes the first in hash-map order).</li>
 *   <li>Code point categories come from the JDK's Unicode tables, llama.cpp's from the Python that generated
 *       {@code unicode-data.cpp}; they differ only for code points assigned in between.</li>
 *   <li>Input is a Java {@code String}, so it is always valid UTF-16; an unpaired surrogate becomes '?' in UTF-8
 *       where llama.cpp, given invalid UTF-8, would see U+FFFD.</li>
 * </ul>
 */
package dev.coffer.inference.tokenizer;
