"""Reports to PDF: the report's template rendered in its language, then typeset by WeasyPrint.

Why WeasyPrint (see docs/reports.md): it turns the same Django templates and a print stylesheet
into PDF inside the server process, without a browser, in well under a second per report; it embeds
the fonts (DejaVu Sans carries every Kazakh letter) and repeats the header and the data's mode,
date, source and "synthetic" label on each page through CSS paged media.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.template.loader import render_to_string
from django.utils import translation

from . import kinds


def _synthetic() -> bool:
    from bilim.registry.models import OrgUnit

    return OrgUnit.objects.filter(synthetic=True).exists()


def html(req: kinds.Request) -> str:
    """The report as one HTML document (charts inline as SVG), in `req.lang`."""
    with translation.override(req.lang):
        ctx = kinds.build(req)
        ctx["synthetic"] = _synthetic()
        return render_to_string(ctx.get("template") or f"reports/{req.kind}.html", ctx)


def pdf(req: kinds.Request) -> bytes:
    """The report as PDF bytes."""
    import weasyprint

    return weasyprint.HTML(string=html(req)).write_pdf()


def many(reqs: Iterable[kinds.Request]) -> Iterator[tuple[kinds.Request, bytes]]:
    """PDFs of several reports (a batch: all region passports), one after the other in this process."""
    for req in reqs:
        yield req, pdf(req)
