"""distrust: verify AI-generated code before anyone trusts it."""

__version__ = "0.1.0"
