package dev.coffer.inference.chat;

import java.util.List;

/** Command R: {@code <|START_OF_TURN_TOKEN|><|USER_TOKEN|>content<|END_OF_TURN_TOKEN|>}, every message trimmed. */
record CommandRFormat() implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            String roleToken = switch (m.role()) {
                case SYSTEM -> "<|SYSTEM_TOKEN|>";
                case USER -> "<|USER_TOKEN|>";
                case ASSISTANT -> "<|CHATBOT_TOKEN|>";
            };
            out.append("<|START_OF_TURN_TOKEN|>").append(roleToken)
                    .append(AsciiSpace.trim(m.content())).append("<|END_OF_TURN_TOKEN|>");
        }
        if (addAssistantPrompt) {
            out.append("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
        }
        return out.toString();
    }
}
