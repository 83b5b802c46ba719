package dev.coffer.inference.chat;

import java.util.List;

/**
 * Gemma: {@code <start_of_turn>user\n...<end_of_turn>\n}, the assistant called {@code model}, every message
 * trimmed. Gemma has no system turn, so system text is held back and put at the head of the next user turn,
 * followed by a blank line; system text with no user turn after it is dropped, as in llama.cpp.
 */
record GemmaFormat() implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        StringBuilder pendingSystem = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> pendingSystem.append(AsciiSpace.trim(m.content()));
                case USER -> {
                    out.append("<start_of_turn>user\n");
                    if (!pendingSystem.isEmpty()) {
                        out.append(pendingSystem).append("\n\n");
                        pendingSystem.setLength(0);
                    }
                    out.append(AsciiSpace.trim(m.content())).append("<end_of_turn>\n");
                }
                case ASSISTANT -> out.append("<start_of_turn>model\n")
                        .append(AsciiSpace.trim(m.content())).append("<end_of_turn>\n");
            }
        }
        if (addAssistantPrompt) {
            out.append("<start_of_turn>model\n");
        }
        return out.toString();
    }
}
