package dev.coffer.inference.chat;

import java.util.List;

/**
 * {@code <|im_start|>role<separator>content<|im_end|><turnEnd>} per message: ChatML ({@code "\n"}, {@code "\n"})
 * and Phi-4 ({@code "<|im_sep|>"}, nothing).
 */
record ImStartFormat(String separator, String turnEnd) implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            out.append("<|im_start|>").append(m.role().wireName()).append(separator)
                    .append(m.content()).append("<|im_end|>").append(turnEnd);
        }
        if (addAssistantPrompt) {
            out.append("<|im_start|>assistant").append(separator);
        }
        return out.toString();
    }
}
