package dev.coffer.bench;

/** One candidate next token and its probability (softmax of the logits, no sampler truncation). */
public record TokenProbability(int token, double probability) {}
