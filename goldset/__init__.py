"""goldset: a git-native eval-set manager. Your golden set as code."""

__version__ = "0.1.0"
