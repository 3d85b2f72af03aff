"""The web interface (see ``bastion.web.app``)."""

from bastion.web.app import install

__all__ = ["install"]
