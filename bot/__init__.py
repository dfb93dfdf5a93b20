"""factbot: answers questions about the fall of Homs and Damascus from a sourced fact base."""

__version__ = "0.1.0"
