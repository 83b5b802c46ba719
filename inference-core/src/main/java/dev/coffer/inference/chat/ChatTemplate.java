package dev.coffer.inference.chat;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The prompt layouts (template families) we can produce, each matching the llama.cpp built-in template of the
 * same {@link #id() id}. {@link #detect} picks one from a model's {@code tokenizer.chat_template}; {@link #render}
 * turns a chat into the text to tokenize.
 *
 * <p><b>BOS.</b> The rendered text never starts with the beginning-of-sequence token: the tokenizer adds it
 * ({@code Tokenizer.encode(text, addSpecial = true, ...)}), and writing it here too would give the model two.
 * This is why, for example, the Llama 2 and Llama 3 layouts start directly with {@code [INST]} and
 * {@code <|start_header_id|>}.
 *
 * <p><b>Special tokens.</b> The text holds the markers of its family ({@code <|im_start|>}, {@code [INST]},
 * {@code </s>} closing an assistant turn, and for {@link #LLAMA_2_SYS_BOS} and {@link #MONARCH} a {@code <s>} that
 * opens every later turn, as llama.cpp writes them). They only become the model's control tokens when the text is
 * tokenized with {@code parseSpecial = true}; note that the same then applies to marker text inside a message.
 */
public enum ChatTemplate {
    /** {@code <|im_start|>role\ncontent<|im_end|>\n} (OpenHermes, Qwen, SmolLM and many others). */
    CHATML("chatml", new ImStartFormat("\n", "\n")),
    /** ChatML with {@code <|im_sep|>} after the role and no newlines (Phi-4). */
    PHI_4("phi4", new ImStartFormat("<|im_sep|>", "")),
    /** {@code [INST] ... [/INST]}; a system message is put in the first turn as a plain line. */
    LLAMA_2("llama2", new Llama2Format(false, false, false)),
    /** Llama 2 with the system message in a {@code <<SYS>>} block. */
    LLAMA_2_SYS("llama2-sys", new Llama2Format(true, false, false)),
    /** Llama 2 with {@code <<SYS>>}, and {@code <s>} before every turn after the first. */
    LLAMA_2_SYS_BOS("llama2-sys-bos", new Llama2Format(true, true, false)),
    /** Llama 2 with {@code <<SYS>>}, every message trimmed. */
    LLAMA_2_SYS_STRIP("llama2-sys-strip", new Llama2Format(true, false, true)),
    /** Mistral's official "v1" layout: {@code  [INST] ... [/INST]} with spaces on both sides. */
    MISTRAL_V1("mistral-v1", new MistralFormat(" ", " ", false)),
    /** Mistral "v3": {@code [INST] ...[/INST]}, assistant replies trimmed. */
    MISTRAL_V3("mistral-v3", new MistralFormat("", " ", true)),
    /** Mistral "v3-tekken": as v3 without any padding spaces and without trimming. */
    MISTRAL_V3_TEKKEN("mistral-v3-tekken", new MistralFormat("", "", false)),
    /** Mistral "v7": a {@code [SYSTEM_PROMPT]} turn of its own. */
    MISTRAL_V7("mistral-v7", new MistralV7Format(" ")),
    /** Mistral "v7-tekken": v7 without padding spaces. Chosen by id only, as in llama.cpp. */
    MISTRAL_V7_TEKKEN("mistral-v7-tekken", new MistralV7Format("")),
    /** {@code <|role|>\ncontent<|end|>\n} (Phi-3). */
    PHI_3("phi3", new RoleTagFormat("", "<|end|>\n", "<|assistant|>\n")),
    /** {@code <|role|>\ncontent\n} (Falcon 3). */
    FALCON_3("falcon3", new RoleTagFormat("", "\n", "<|assistant|>\n")),
    /** {@code <|role|>\ncontent<|endoftext|>\n} (StableLM Zephyr). */
    ZEPHYR("zephyr", new RoleTagFormat("", "<|endoftext|>\n", "<|assistant|>\n")),
    /**
     * {@code <|role|>\ncontent} with nothing between turns (GLM-Edge). llama.cpp also picks this for templates
     * that spell out {@code <|user|>} and {@code <|assistant|>} but end turns with {@code eos_token} (such as
     * Zephyr-7B-beta's and TinyLlama-Chat's), and so do we.
     */
    GLMEDGE("glmedge", new RoleTagFormat("", "", "<|assistant|>")),
    /** {@code [gMASK]<sop>} then {@code <|role|>\ncontent} (ChatGLM 4). */
    CHATGLM_4("chatglm4", new RoleTagFormat("[gMASK]<sop>", "", "<|assistant|>\n")),
    /** {@code role\ncontent</s>\n}, every turn after the first opened by {@code <s>} (AlphaMonarch). */
    MONARCH("monarch", new MonarchFormat()),
    /** {@code <start_of_turn>user|model\n...<end_of_turn>\n}, system text merged into the next user turn. */
    GEMMA("gemma", new GemmaFormat()),
    /** {@code Human: ...\n\nAssistant: </s>} (Orion). */
    ORION("orion", new OrionFormat()),
    /** {@code GPT4 Correct User: ...<|end_of_turn|>} (OpenChat 3.5). */
    OPENCHAT("openchat", new OpenChatFormat()),
    /** {@code USER: ...\nASSISTANT: ...</s>\n} (Vicuna 1.1). */
    VICUNA("vicuna", new VicunaFormat(false)),
    /** Vicuna with a {@code SYSTEM: } line (Orca-Vicuna). */
    VICUNA_ORCA("vicuna-orca", new VicunaFormat(true)),
    /** {@code ### Instruction:\n...\n### Response:\n...\n<|EOT|>\n} (DeepSeek Coder). */
    DEEPSEEK("deepseek", new DeepSeekCoderFormat()),
    /** {@code <|START_OF_TURN_TOKEN|><|USER_TOKEN|>...<|END_OF_TURN_TOKEN|>} (Command R). */
    COMMAND_R("command-r", new CommandRFormat()),
    /** {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>} (Llama 3). */
    LLAMA_3("llama3", new Llama3Format()),
    /**
     * Not a llama.cpp template: our fallback for models without a recognised template. One line per message,
     * {@code "role: content\n"} (content verbatim), and with {@code addAssistantPrompt} a final
     * {@code "assistant:"} with no space after it, so the reply's first token carries its own leading space as
     * it would in running text.
     */
    PLAIN("plain", new PlainFormat());

    private final String id;
    private final PromptFormat format;

    ChatTemplate(String id, PromptFormat format) {
        this.id = id;
        this.format = format;
    }

    /** llama.cpp's name for this built-in template, as its {@code --chat-template} takes it: {@code llama2-sys}... */
    public String id() {
        return id;
    }

    /**
     * The prompt text for a chat.
     *
     * @param addAssistantPrompt end with the cue that opens the assistant's reply, e.g.
     *        {@code <|im_start|>assistant\n}. Families whose user turn already ends with that cue
     *        ({@code [/INST]} of Llama 2 and Mistral, Orion's {@code Assistant: </s>}) ignore it, as llama.cpp does.
     * @throws IllegalArgumentException if {@code messages} is empty
     * @throws NullPointerException if {@code messages} is or contains null
     */
    public String render(List<ChatMessage> messages, boolean addAssistantPrompt) {
        Objects.requireNonNull(messages, "messages");
        for (ChatMessage m : messages) {
            Objects.requireNonNull(m, "messages must not contain null");
        }
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("cannot render an empty chat: give at least one message");
        }
        return format.format(List.copyOf(messages), addAssistantPrompt);
    }

    /**
     * The template family for a model, from its GGUF {@code tokenizer.chat_template} (or a template {@link #id()}
     * given in its place), recognised by the substrings llama.cpp's {@code llm_chat_detect_template} looks for.
     * Absent, blank or unrecognised templates give {@link #PLAIN}; callers should log {@link #name()} so that a
     * fallback is visible.
     */
    public static ChatTemplate detect(Optional<String> jinjaTemplate) {
        Objects.requireNonNull(jinjaTemplate, "jinjaTemplate");
        return jinjaTemplate.filter(t -> !t.isBlank()).map(TemplateDetector::detect).orElse(PLAIN);
    }

    /** The template with this {@link #id()}, if we have it. */
    public static Optional<ChatTemplate> fromId(String id) {
        Objects.requireNonNull(id, "id");
        for (ChatTemplate t : values()) {
            if (t.id.equals(id)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
