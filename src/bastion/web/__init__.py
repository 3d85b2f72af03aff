"""The web interface (see ``bastion.web.app``)."""

from bastion.web.app import install, routers

__all__ = ["install", "routers"]
