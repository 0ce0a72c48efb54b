"""Sphinx configuration of the course site: `make site` (full mode) / `make site-fast` (FAST mode).

Build with `sphinx-build -c docs/site . OUT` from the repository root: the source folder is the
repository itself and `include_patterns` picks the pages (lessons, exercises, glossary, the landing
page docs/site/index.md). So the notebooks are neither copied nor linked, they run in lessons/ as
in JupyterLab, and their relative links resolve as in git. The lessons are executed by myst-nb
through jupyter-cache and shown with every figure. The glue (course map, hidden Colab cell, static
widgets, offline MathJax, time budget, top-level redirect) is in _ext/course_site.py.
"""

import os
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent
sys.path.insert(0, str(SITE / "_ext"))

FAST = os.environ.get("GANCOURSE_FAST", "") not in ("", "0")
# The kernels inherit this process's environment: a MPLBACKEND such as Agg (the tests set it) would
# replace the notebook's inline backend and plt.show() would put no figure on the page.
os.environ.pop("MPLBACKEND", None)

project = "gancourse"
author = "The gancourse authors"
copyright = "The gancourse authors, MIT licence (code and notebooks)"
html_title = "gancourse: GANs for image editing and style transfer"

extensions = ["myst_nb", "course_site"]
root_doc = "docs/site/index"
include_patterns = [
    "docs/site/index.md",
    "lessons/[0-9][0-9]_*.ipynb",
    "exercises/[0-9][0-9]_*.ipynb",  # the learner copies (the solutions stay in exercises/source)
    "docs/glossary.md",
]
# folders never walked (the include patterns pick the pages; these keep the search short)
exclude_patterns = [".*", "**/.*", "docs/site/_build", "exercises/source", "gancourse", "tests"]
exclude_patterns += ["benchmarks", "build", "dist", "runs", "outputs", "checkpoints"]
suppress_warnings = ["mystnb.unknown_mime_type"]

# --- execution: every lesson runs, outputs are cached (a prose change rebuilds in seconds) ---
nb_execution_mode = "cache"
# the cache of FAST outputs is kept apart from the full one (make site-fast / make site)
nb_execution_cache_path = str(
    SITE / "_build" / ("fast/.jupyter_cache" if FAST else ".jupyter_cache")
)
nb_execution_raise_on_error = True  # a cell error fails the build
nb_execution_show_tb = True
nb_execution_in_temp = False  # run in lessons/, as JupyterLab and nbval do
# Budgets (the course design): a lesson runs in <= 5 min in full mode and <= 60 s in FAST mode
# on a 2-core CPU. Under load (other jobs on the two cores) lessons have taken 1.5-4x that, so
# each cell, and each notebook as a whole (checked after execution by course_site.check_budget),
# gets twice the full budget, and FAST builds five times the FAST one.
nb_execution_timeout = 300 if FAST else 600
course_site_notebook_limit_s = 300 if FAST else 600
# the exercises are shown as handed out (learner copies, not run: their cells raise on purpose)
nb_execution_excludepatterns = ["exercises/*"]
nb_merge_streams = True
nb_ipywidgets_js = {}  # no widget manager from a CDN: course_site renders widgets from their state

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_update_mathjax = False  # MathJax 2 is configured by mathjax2_config below

# --- HTML: sphinx-book-theme, nothing fetched from the web ---
html_theme = "sphinx_book_theme"
html_static_path = ["_static"]  # relative to this folder
html_theme_options = {
    "use_download_button": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
# MathJax 2 from the jupyter-server-mathjax package, copied into _static/mathjax by course_site
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processRefs": False,
        "processEnvironments": False,
    },
    "showMathMenu": False,
    "messageStyle": "none",
}
