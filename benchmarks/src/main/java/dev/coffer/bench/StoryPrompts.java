package dev.coffer.bench;

import java.util.List;

/** Twenty short openings in the style of TinyStories, the fixed prompts of every peer comparison. */
public final class StoryPrompts {
    private StoryPrompts() {}

    public static final List<String> ALL = List.of(
            "Once upon a time",
            "The little dog",
            "One day, a girl named Lily",
            "Tom and his mom went to the park",
            "There was a big red ball",
            "The sun was shining and",
            "A small bird sat on a tree",
            "Sam had a new toy car",
            "In a little house lived a cat",
            "Mia wanted to bake a cake",
            "The boy saw a big fish",
            "It was a rainy day, so",
            "Ben and Sue were best friends",
            "The old man had a garden",
            "Once there was a happy frog",
            "Lucy found a shiny stone",
            "The bear was very hungry",
            "Max liked to run fast",
            "A kind girl helped her friend",
            "At night, the moon");
}
