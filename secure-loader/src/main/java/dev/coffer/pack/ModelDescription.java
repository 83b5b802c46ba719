package dev.coffer.pack;

/** What the pack holds, in public: readable by anyone with {@code coffer pack inspect}, signed by the owner. */
public record ModelDescription(String name, String architecture, String quantization, long parameters, int contextLength,
                               int tensors) {}
