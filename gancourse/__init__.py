"""gancourse: helpers for a hands-on course on GANs for image editing and style transfer.

Each folder is one topic of the course and names the lessons that derive it (lesson 00 shows
the map); the README's "How the package is laid out" lists them.
"""

__version__ = "0.1.0"
