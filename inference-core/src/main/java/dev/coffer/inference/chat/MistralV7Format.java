package dev.coffer.inference.chat;

import java.util.List;

/**
 * Mistral's v7 layouts: {@code [SYSTEM_PROMPT] system[/SYSTEM_PROMPT][INST] user[/INST] assistant</s>}, with
 * {@code space} after each opening marker and before replies (one space for v7, none for v7-tekken).
 * {@code addAssistantPrompt} changes nothing: {@code [/INST]} already hands over to the assistant.
 */
record MistralV7Format(String space) implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> out.append("[SYSTEM_PROMPT]").append(space).append(m.content())
                        .append("[/SYSTEM_PROMPT]");
                case USER -> out.append("[INST]").append(space).append(m.content()).append("[/INST]");
                case ASSISTANT -> out.append(space).append(m.content()).append("</s>");
            }
        }
        return out.toString();
    }
}
