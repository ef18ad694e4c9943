"""pseudolens: does training a small classifier on LLM labels instead of human labels hurt it, and where?"""
__version__ = "0.1.0"
