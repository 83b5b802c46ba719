package dev.coffer.inference.chat;

import java.util.List;

/** Llama 3: {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>}, every message trimmed. */
record Llama3Format() implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            out.append("<|start_header_id|>").append(m.role().wireName()).append("<|end_header_id|>\n\n")
                    .append(AsciiSpace.trim(m.content())).append("<|eot_id|>");
        }
        if (addAssistantPrompt) {
            out.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
        return out.toString();
    }
}
