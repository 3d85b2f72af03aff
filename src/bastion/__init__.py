"""Bastion: pre-release security review of frontier AI models and an AI cybersecurity clearinghouse."""

__version__ = "0.1.0"
