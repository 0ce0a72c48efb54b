"""gancourse: helpers for a hands-on course on GANs for image editing and style transfer."""

__version__ = "0.1.0"
