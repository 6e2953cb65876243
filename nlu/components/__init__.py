"""Custom Rasa NLU graph components (loaded by Rasa on Python 3.10)."""
