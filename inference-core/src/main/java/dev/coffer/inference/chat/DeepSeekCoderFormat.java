package dev.coffer.inference.chat;

import java.util.List;

/**
 * DeepSeek Coder: {@code ### Instruction:\nuser\n### Response:\nassistant\n<|EOT|>\n}, a system message bare at
 * its place (the model's own default system prompt is not added).
 */
record DeepSeekCoderFormat() implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> out.append(m.content());
                case USER -> out.append("### Instruction:\n").append(m.content()).append('\n');
                case ASSISTANT -> out.append("### Response:\n").append(m.content()).append("\n<|EOT|>\n");
            }
        }
        if (addAssistantPrompt) {
            out.append("### Response:\n");
        }
        return out.toString();
    }
}
