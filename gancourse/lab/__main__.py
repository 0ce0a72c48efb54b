"""``python -m gancourse.lab``: start JupyterLab on lesson 00 (``make lab``, used in lesson 00)."""

from gancourse.lab import main

main()
