package dev.coffer.inference.chat;

import java.util.List;

/**
 * Orion: {@code Human: user\n\nAssistant: </s>assistant</s>}. There is no system turn: system text goes at the head
 * of the next user message, followed by a blank line. {@code addAssistantPrompt} changes nothing: a user turn
 * already ends with {@code Assistant: </s>}.
 */
record OrionFormat() implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        StringBuilder pendingSystem = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> pendingSystem.append(m.content());
                case USER -> {
                    out.append("Human: ");
                    if (!pendingSystem.isEmpty()) {
                        out.append(pendingSystem).append("\n\n");
                        pendingSystem.setLength(0);
                    }
                    out.append(m.content()).append("\n\nAssistant: </s>");
                }
                case ASSISTANT -> out.append(m.content()).append("</s>");
            }
        }
        return out.toString();
    }
}
