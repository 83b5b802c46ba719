package dev.coffer.inference.chat;

import java.util.List;

/**
 * OpenChat 3.5: {@code GPT4 Correct User: ...<|end_of_turn|>GPT4 Correct Assistant: ...<|end_of_turn|>}, a system
 * message bare before its {@code <|end_of_turn|>} (the layout OpenChat's authors recommend, which llama.cpp
 * follows rather than the template shipped with the model).
 */
record OpenChatFormat() implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> out.append(m.content());
                case USER -> out.append("GPT4 Correct User: ").append(m.content());
                case ASSISTANT -> out.append("GPT4 Correct Assistant: ").append(m.content());
            }
            out.append("<|end_of_turn|>");
        }
        if (addAssistantPrompt) {
            out.append("GPT4 Correct Assistant:");
        }
        return out.toString();
    }
}
