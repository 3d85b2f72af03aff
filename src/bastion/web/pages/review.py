"""Review pages."""

from bastion.web.shell import web_router

router = web_router()
