"""Sphinx glue for the course site (docs/site, `make site`): every lesson, read as a web page.

- the source folder of the build is the repository itself (conf.py picks the lessons, the learner
  copies of the exercises, the glossary and docs/site/index.md with ``include_patterns``): nothing
  is copied or linked, the notebooks run in lessons/ as in JupyterLab, and their relative links
  (``../exercises/…``, ``../docs/glossary.md``) resolve as they do in git. ``write_redirect`` puts
  an index.html at the top of the HTML folder that opens the landing page.
- ``lesson_table``: the landing page's course map, built from the lessons themselves (title and
  "**Estimated time:** N minutes" line), so it cannot drift from them.
- ``hide_colab_cell``: the first code cell of each notebook ("# Google Colab only") gets the
  ``remove-cell`` tag while the page is read; the notebook files are not touched.
- widgets: ipywidgets views have no kernel on a static page; ``widgets_html`` renders each view
  from the widget state saved at execution (its images, its plots, its controls' values), with a
  note that the notebook makes it live. No widget JavaScript is loaded (it would come from a CDN).
- MathJax 2 from the jupyter-server-mathjax package is copied into ``_static/mathjax``: maths
  renders offline.
- the execution budget: a notebook that ran longer than ``course_site_notebook_limit_s`` fails the
  build (each cell is limited by ``nb_execution_timeout`` while it runs).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

SITE = Path(__file__).resolve().parent.parent
ROOT = SITE.parent.parent
TITLE = re.compile(r"^#\s+(?:Lesson|Exercise)\s+(\d\d)\s*·\s*(.+?)\s*$", re.MULTILINE)
MINUTES = re.compile(r"\*\*Estimated time:\*\*\s*(\d+)\s*minutes")
COLAB_MARK = "# Google Colab only"
MAP_MARK = "<!-- course-map -->"
# a link to the README (not part of the site) from a Markdown page; its course map is ours
README_LINK = re.compile(r"\]\(((?:\.\./)*)README\.md(#[\w-]+)?\)")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def notebook_heading(path: Path) -> tuple[str, str, int]:
    """(number, title, estimated minutes) from a lesson's or exercise's first markdown cell."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "".join(cells[0]["source"]) if cells and cells[0]["cell_type"] == "markdown" else ""
    title, minutes = TITLE.search(text), MINUTES.search(text)
    if not title or not minutes:
        raise ValueError(
            f"{path}: its first cell must open with '# Lesson NN · Title' and carry "
            f"'**Estimated time:** N minutes.' (the site's course map reads both from there)"
        )
    return title.group(1), " ".join(title.group(2).split()), int(minutes.group(1))


def lesson_table(root: Path = ROOT, prefix: str = "../../") -> str:
    """The course map as a Markdown table: one row per lesson, linked, with its time and exercise.

    ``prefix``: the way from the landing page (docs/site/index.md) to the repository root.
    """
    lessons = sorted((root / "lessons").glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        raise FileNotFoundError(f"no lessons found in {root / 'lessons'}")
    exercises = {p.name[:2]: p for p in (root / "exercises").glob("[0-9][0-9]_*.ipynb")}
    rows = ["| # | lesson | time | exercise |", "| --- | --- | --- | --- |"]
    total = 0
    for path in lessons:
        number, title, minutes = notebook_heading(path)
        total += minutes
        exercise = exercises.get(number)
        ex = f"[exercise {number}]({prefix}exercises/{exercise.name})" if exercise else "—"
        rows.append(
            f"| {number} | [{title}]({prefix}lessons/{path.name}) | {minutes}\u00a0min | {ex} |"
        )
    rows.append(f"| | **all lessons** | **{total / 60:.1f}\u00a0h** | |")
    return "\n".join(rows)


def _tag_colab_cell(text: str) -> str:
    """Notebook JSON with a ``remove-cell`` tag on its first code cell, if that is the Colab one."""
    notebook = json.loads(text)
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    if code and "".join(code[0]["source"]).startswith(COLAB_MARK):
        tags = code[0].setdefault("metadata", {}).setdefault("tags", [])
        if "remove-cell" not in tags:
            tags.append("remove-cell")
    return json.dumps(notebook, ensure_ascii=False)


def _readme_to_landing_page(text: str, docname: str, root_doc: str) -> str:
    """Point Markdown links to README.md (outside the site) at the landing page instead."""
    target = posixpath.relpath(root_doc + ".md", posixpath.dirname(docname) or ".")

    def replace(match: re.Match) -> str:
        anchor = "#the-course-map" if match.group(2) == "#lessons" else ""
        return f"]({target}{anchor})"

    return README_LINK.sub(replace, text)


def on_source_read(app, docname: str, source: list[str]) -> None:
    if docname == app.config.root_doc and MAP_MARK in source[0]:
        source[0] = source[0].replace(MAP_MARK, lesson_table())
    elif app.env.doc2path(docname).suffix == ".ipynb":
        source[0] = _tag_colab_cell(source[0])
    else:
        source[0] = _readme_to_landing_page(source[0], docname, app.config.root_doc)


def always_reread_index(app, env, added, changed, removed) -> list[str]:
    """The course map reads every lesson: rebuild the landing page whenever anything is built."""
    return [app.config.root_doc] if (added or changed or removed) else []


# --- widgets, rendered from their saved state ---------------------------------------------------


def _image_html(model: dict, buffers: dict) -> str:
    data = buffers.get("value")
    if not data:
        return ""
    fmt = model.get("format", "png")
    width = f' width="{html.escape(str(model["width"]))}"' if model.get("width") else ""
    return f'<img src="data:image/{fmt};base64,{data}" alt="widget image"{width}>'


def _output_html(outputs: list[dict]) -> str:
    parts = []
    for out in outputs:
        data = out.get("data", {})
        if "image/png" in data:
            png = "".join(data["image/png"]).replace("\n", "")
            parts.append(f'<img src="data:image/png;base64,{png}" alt="output">')
        elif "text/html" in data:
            parts.append("".join(data["text/html"]))
        elif "text/plain" in data or out.get("output_type") == "stream":
            text = "".join(data.get("text/plain", out.get("text", "")))
            parts.append(f"<pre>{html.escape(text)}</pre>")
    return "".join(parts)


CONTROL_VIEWS = ("Slider", "Dropdown", "Toggle", "Checkbox", "Text", "Select", "Button", "Play")


def widgets_html(model_id: str, state: dict, depth: int = 0) -> tuple[str, bool]:
    """(static HTML, has a control) for one widget and its children, from the saved state."""
    entry = state.get(model_id)
    if entry is None or depth > 20:
        return "", False
    name, model = entry.get("model_name", ""), entry.get("state", {})
    buffers = {
        "/".join(map(str, b["path"])): b["data"]
        for b in entry.get("buffers", [])
        if b.get("encoding") == "base64"
    }
    if name == "ImageModel":
        return _image_html(model, buffers), False
    if name == "OutputModel":
        return _output_html(model.get("outputs", [])), False
    if name in ("HTMLModel", "HTMLMathModel", "LabelModel"):
        value = model.get("value", "")
        return f"<span>{value if name != 'LabelModel' else html.escape(value)}</span>", False
    if name.endswith("ProgressModel"):
        return (
            f'<progress value="{model.get("value", 0)}" max="{model.get("max", 100)}"></progress>',
            False,
        )
    if "children" in model:
        kids = [
            widgets_html(child.removeprefix("IPY_MODEL_"), state, depth + 1)
            for child in model["children"]
        ]
        box = "hbox" if name == "HBoxModel" else "vbox"
        inner = "".join(k for k, _ in kids if k)
        return f'<div class="course-widget-{box}">{inner}</div>', any(c for _, c in kids)
    if any(v in model.get("_view_name", "") for v in CONTROL_VIEWS):
        if "value" in model:
            value = model["value"]
        elif isinstance(model.get("index"), int) and model.get("_options_labels"):
            value = model["_options_labels"][model["index"]]  # a dropdown syncs its index only
        else:
            return "", False
        label = html.escape(str(model.get("description") or name.removesuffix("Model")))
        value = html.escape(str(value))
        return f'<span class="course-widget-control">{label}: <b>{value}</b></span>', True
    return "", False


class StaticWidgets(SphinxPostTransform):
    """Replace each ipywidgets view (a script tag for a widget manager) with its saved picture."""

    default_priority = 5  # after myst-nb has picked each output's mime type (priority 4)
    formats = ("html",)

    def run(self, **kwargs) -> None:
        from myst_nb.sphinx_ import NbMetadataCollector

        files = NbMetadataCollector.get_js_files(self.env, self.env.docname)
        saved = files.get("ipywidgets_state", (None, {}))[1].get("body")
        state = json.loads(saved)["state"] if saved else {}
        marker = f'<script type="{WIDGET_VIEW}">'
        for raw in list(self.document.findall(nodes.raw)):
            if not raw.astext().startswith(marker):
                continue
            view = json.loads(raw.astext()[len(marker) : -len("</script>")])
            body, has_control = widgets_html(view.get("model_id", ""), state)
            note = (
                '<p class="course-widget-note">A live widget: run the notebook (make lab, or '
                "Colab) to move it. Shown as it was when the page was built.</p>"
                if has_control
                else ""
            )
            new = nodes.raw("", f'<div class="course-widget">{body}{note}</div>', format="html")
            raw.replace_self(new)


# --- offline maths, execution budget -----------------------------------------------------------


def copy_mathjax(app, exception) -> None:
    """Put MathJax 2 (bundled by jupyter-server-mathjax) into _static/mathjax, no CDN needed."""
    if exception is not None or app.builder.format != "html":
        return
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


def write_redirect(app, exception) -> None:
    """index.html at the top of the HTML folder: opens the landing page (docs/site/index.html)."""
    if exception is not None or app.builder.format != "html":
        return
    target = app.builder.get_target_uri(app.config.root_doc)
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>gancourse</title>'
        f'<meta http-equiv="refresh" content="0; url={target}"></head>'
        f'<body><a href="{target}">The course</a></body></html>\n'
    )
    (Path(app.outdir) / "index.html").write_text(page, encoding="utf-8")


def check_budget(app, env) -> None:
    """Fail the build when a notebook's execution took longer than the configured limit."""
    from myst_nb.sphinx_ import NbMetadataCollector

    limit = app.config.course_site_notebook_limit_s
    slow = []
    for docname in sorted(env.found_docs):
        data = NbMetadataCollector.get_exec_data(env, docname) or {}
        runtime = data.get("runtime")
        if runtime is not None and runtime > limit:
            slow.append(f"{docname}: {runtime:.0f} s")
    if slow:
        raise RuntimeError(
            f"notebooks ran longer than the {limit:.0f} s budget of this build: {', '.join(slow)} "
            f"(make them faster, or raise course_site_notebook_limit_s in docs/site/conf.py)"
        )


def setup(app):
    app.add_config_value("course_site_notebook_limit_s", 600, "env", types=(int, float))
    app.connect("source-read", on_source_read)
    app.connect("env-get-outdated", always_reread_index)
    app.connect("env-updated", check_budget)
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", write_redirect)
    app.add_post_transform(StaticWidgets)
    app.add_css_file("course_site.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
