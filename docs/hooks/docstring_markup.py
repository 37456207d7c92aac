"""MkDocs hook: the docstrings' reST markup, made readable on the API pages.

The docstrings are numpy style, written for ``help()`` as well as for the site, and
use Sphinx roles (``:class:`~sim.results.Results```) and ``.. code-block::`` lines,
which Markdown leaves as literal text. On the API pages a role becomes a link to the
object it names (tried as written, then inside the page's module) when the site
documents it, and plain code otherwise; a ``.. code-block::`` line is dropped (its
indented block is already code) and a paragraph's closing ``::`` becomes ``:``.
"""

from __future__ import annotations

import html
import re

from api_reference import API_DIR
from documented_modules import load_packages, repo_root

ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):<code>(~?)([\w.]+)(\(\))?</code>")
CODE_BLOCK = re.compile(r"<p>\.\. code-block::\s*\w*</p>\s*")
LITERAL_COLONS = re.compile(r"::</p>")


def _exists(packages, path: str) -> bool:
    top, _, rest = path.partition(".")
    if top not in packages:
        return False
    try:
        if rest:
            packages[top][rest]
        return True
    except (KeyError, ValueError):
        return False


def _target(packages, module: str, name: str) -> str | None:
    """The full path ``name`` refers to from ``module``: as written, or inside the module
    or its package."""
    parts = module.split(".")
    for i in range(len(parts), -1, -1):
        path = ".".join([*parts[:i], name])
        if _exists(packages, path):
            return path
    return None


def on_page_content(html_text, page, config, files):
    """Rewrite the roles and directives of an API page."""
    uri = page.file.src_uri
    if not uri.startswith(API_DIR + "/"):
        return html_text
    module = uri[len(API_DIR) + 1 : -len(".md")].replace("/", ".")
    packages = load_packages(repo_root(config))

    def link(m: re.Match) -> str:
        tilde, name, call = m.group(1), m.group(2), m.group(3) or ""
        shown = html.escape((name.rsplit(".", 1)[-1] if tilde else name) + call)
        target = _target(packages, module, name)
        if target is None:
            return f"<code>{shown}</code>"
        # optional: an object the site does not render (private, undocumented) stays plain code
        return f'<autoref identifier="{target}" optional><code>{shown}</code></autoref>'

    html_text = ROLE.sub(link, html_text)
    html_text = CODE_BLOCK.sub("", html_text)
    return LITERAL_COLONS.sub(":</p>", html_text)
