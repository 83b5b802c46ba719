package dev.coffer.inference.chat;

/**
 * Recognises a template family from Jinja source by tell-tale substrings, testing them in the order of llama.cpp's
 * {@code llm_chat_detect_template} so that a template lands where llama.cpp would put it. The order matters: many
 * templates contain markers of several families (a Phi-3 template has {@code <|user|>} too).
 */
final class TemplateDetector {
    private TemplateDetector() {
    }

    static ChatTemplate detect(String t) {
        // A built-in name instead of Jinja source, as llama.cpp's --chat-template allows.
        var named = ChatTemplate.fromId(t);
        if (named.isPresent()) {
            return named.get();
        }
        if (t.contains("<|im_start|>")) {
            if (t.contains("<|im_sep|>")) {
                return ChatTemplate.PHI_4;
            }
            if (t.contains("<end_of_utterance>")) {
                return ChatTemplate.PLAIN; // SmolVLM: <|im_start|> is its BOS, the layout is not ChatML; not supported
            }
            return ChatTemplate.CHATML;
        }
        if (t.startsWith("mistral") || t.contains("[INST]")) {
            return mistralOrLlama2(t);
        }
        if (t.contains("<|assistant|>") && t.contains("<|end|>")) {
            return ChatTemplate.PHI_3;
        }
        if (t.contains("[gMASK]<sop>")) {
            return ChatTemplate.CHATGLM_4;
        }
        if (t.contains("<|assistant|>") && t.contains("<|user|>")) {
            return t.contains("</s>") ? ChatTemplate.FALCON_3 : ChatTemplate.GLMEDGE;
        }
        if (t.contains("<|{{ item['role'] }}|>") && t.contains("<|begin_of_image|>")) {
            return ChatTemplate.GLMEDGE;
        }
        if (t.contains("<|user|>") && t.contains("<|endoftext|>")) {
            return ChatTemplate.ZEPHYR;
        }
        if (t.contains("bos_token + message['role']")) {
            return ChatTemplate.MONARCH;
        }
        if (t.contains("<start_of_turn>")) {
            return ChatTemplate.GEMMA;
        }
        if (t.contains("'\\n\\nAssistant: ' + eos_token")) { // Jinja source, so a backslash and an n
            return ChatTemplate.ORION;
        }
        if (t.contains("GPT4 Correct ")) {
            return ChatTemplate.OPENCHAT;
        }
        if (t.contains("USER: ") && t.contains("ASSISTANT: ")) {
            return t.contains("SYSTEM: ") ? ChatTemplate.VICUNA_ORCA : ChatTemplate.VICUNA;
        }
        if (t.contains("### Instruction:") && t.contains("<|EOT|>")) {
            return ChatTemplate.DEEPSEEK;
        }
        if (t.contains("<|START_OF_TURN_TOKEN|>") && t.contains("<|USER_TOKEN|>")) {
            return ChatTemplate.COMMAND_R;
        }
        if (t.contains("<|start_header_id|>") && t.contains("<|end_header_id|>")) {
            return ChatTemplate.LLAMA_3;
        }
        // llama.cpp knows more families past this point; we render none of them.
        return ChatTemplate.PLAIN;
    }

    private static ChatTemplate mistralOrLlama2(String t) {
        if (t.contains("[SYSTEM_PROMPT]")) {
            return ChatTemplate.MISTRAL_V7;
        }
        // Mistral's official templates: v1 prepends the system message to the first [INST]; v3 and v3-tekken have
        // tool blocks. They differ in the spaces around [INST].
        if (t.contains("' [INST] ' + system_message") || t.contains("[AVAILABLE_TOOLS]")) {
            if (t.contains(" [INST]")) {
                return ChatTemplate.MISTRAL_V1;
            }
            if (t.contains("\"[INST]\"")) {
                return ChatTemplate.MISTRAL_V3_TEKKEN;
            }
            return ChatTemplate.MISTRAL_V3;
        }
        // Llama 2 and the many templates derived from it; the first matching variant wins.
        if (t.contains("content.strip()")) {
            return ChatTemplate.LLAMA_2_SYS_STRIP;
        }
        if (t.contains("bos_token + '[INST]")) {
            return ChatTemplate.LLAMA_2_SYS_BOS;
        }
        if (t.contains("<<SYS>>")) {
            return ChatTemplate.LLAMA_2_SYS;
        }
        return ChatTemplate.LLAMA_2;
    }
}
