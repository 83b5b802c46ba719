/**
 * Chat messages to prompt text, the way llama.cpp's built-in templates do it ({@code llm_chat_detect_template}
 * and {@code llm_chat_apply_template} in {@code src/llama-chat.cpp}), without a Jinja engine. Entry point:
 * {@link dev.coffer.inference.chat.ChatTemplate#detect}, given the GGUF metadata string
 * {@code tokenizer.chat_template}.
 *
 * <p>The Jinja text is never executed: it is only searched for tell-tale substrings to pick one of a fixed set of
 * hand-written formats, so a model file cannot make us run code. Each format reproduces llama.cpp's output
 * character for character, including its simplifications (for example, Gemma has no system turn, so the system
 * text is merged into the next user turn). The tests check this against llama.cpp's
 * {@code tests/test-chat-template.cpp}; for Llama 2 with {@code <<SYS>>}, Falcon 3, StableLM Zephyr and Mistral
 * v7-tekken, which that file has no full case for, the expected text was worked out from {@code llama-chat.cpp}.
 *
 * <p>Where we knowingly differ from llama.cpp, and why:
 * <ul>
 *   <li>A model without a template, or with one we do not recognise, gets {@link
 *       dev.coffer.inference.chat.ChatTemplate#PLAIN} ("role: content" lines). llama.cpp falls back to ChatML
 *       when there is no template and refuses unknown ones; ChatML markers mean nothing to a model that was not
 *       trained on them, and a server should answer rather than refuse.</li>
 *   <li>Only the families listed in {@link dev.coffer.inference.chat.ChatTemplate} are rendered. Templates that
 *       llama.cpp would give to a family we lack (SmolVLM, and everything it tests after Llama 3: ChatGLM 3,
 *       MiniCPM, DeepSeek V2/V3, EXAONE, Granite, Llama 4, ...) get {@code PLAIN}; they are never mistaken for a
 *       family we have, because detection keeps llama.cpp's order of tests up to that point.</li>
 *   <li>Only the messages' role and text are modelled: system, user and assistant. No tools, no images.</li>
 * </ul>
 */
package dev.coffer.inference.chat;
