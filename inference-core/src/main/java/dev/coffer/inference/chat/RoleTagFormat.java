package dev.coffer.inference.chat;

import java.util.List;

/**
 * {@code <|role|>\ncontent<turnEnd>} per message after an optional preamble, then {@code assistantCue} if asked:
 * the layout Phi-3, Falcon 3, StableLM Zephyr, GLM-Edge and ChatGLM 4 share, differing only in these strings.
 */
record RoleTagFormat(String preamble, String turnEnd, String assistantCue) implements PromptFormat {

    @Override
    public String format(List<ChatMessage> messages, boolean addAssistantPrompt) {
        StringBuilder out = new StringBuilder(preamble);
        for (ChatMessage m : messages) {
            out.append("<|").append(m.role().wireName()).append("|>\n").append(m.content()).append(turnEnd);
        }
        if (addAssistantPrompt) {
            out.append(assistantCue);
        }
        return out.toString();
    }
}
