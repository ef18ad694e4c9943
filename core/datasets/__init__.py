"""Data in: reading and validating a user's file, label sets, recorded LLM answers, the demo corpus, text embeddings."""
