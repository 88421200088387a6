"""stagectl: GitOps for machine-learning model stages."""

__version__ = "0.1.0"
