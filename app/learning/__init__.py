"""The conversation engine: prompts, replies, grading and spaced repetition."""
