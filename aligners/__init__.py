"""Alignment methods, one module each; plugins arrive through the entry-point group ``alignboard.aligners``."""
