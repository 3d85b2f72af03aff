"""HTML report -> PDF through WeasyPrint, an optional dependency (the ``pdf`` extra).

The banners come from the report's own ``@page`` rules (``@top-center`` / ``@bottom-center``), so WeasyPrint
repeats the overall classification at the top and bottom of every page. The renderer fetches nothing: a
report carries text written by users (a Markdown image in a finding), and the server must not go and get it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import NoReturn

from bastion.core.errors import OperationalError
from bastion.review.errors import ReviewError

# Runtime libraries WeasyPrint loads on Debian/Ubuntu (``libharfbuzz-subset0`` is optional today; without
# any font package there is no text to draw).
DEBIAN_PACKAGES = (
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz0b",
    "libharfbuzz-subset0",
    "libfontconfig1",
    "fonts-dejavu-core",
)
INSTALL_HINT = f"pip install 'bastion[pdf]' and, on Debian/Ubuntu, apt-get install {' '.join(DEBIAN_PACKAGES)}"


class PdfUnavailableError(ReviewError, OperationalError):
    """This installation cannot render PDF: WeasyPrint or its native libraries are missing."""

    default_code = "pdf_unavailable"


def _weasyprint() -> ModuleType:
    try:
        return importlib.import_module("weasyprint")
    except ImportError as e:  # the package itself is not installed
        _unavailable(f"PDF reports need WeasyPrint, which is not installed ({e})", e)
    except OSError as e:  # installed, but Pango / HarfBuzz / fontconfig cannot be loaded
        _unavailable(f"PDF reports need Pango, HarfBuzz and fontconfig, which cannot be loaded ({e})", e)


def _unavailable(message: str, cause: BaseException) -> NoReturn:
    raise PdfUnavailableError(
        message,
        hint=INSTALL_HINT + "; or request format=html or format=md",
        details={"debian_packages": list(DEBIAN_PACKAGES)},
    ) from cause


def ensure_available() -> None:
    """Fail with :class:`PdfUnavailableError` now, before any work is done or audited."""
    _weasyprint()


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML document (styles inline, no external resources) to PDF bytes."""
    weasyprint = _weasyprint()
    # No protocol allowed: an image or stylesheet URL in the report is left out (WeasyPrint logs a warning).
    fetcher = weasyprint.URLFetcher(allowed_protocols=frozenset(), allow_redirects=False)
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf()
    return pdf
