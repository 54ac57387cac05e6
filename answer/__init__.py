"""Answering: retrieved passages become a short Vietnamese answer with checked [n] citations."""
