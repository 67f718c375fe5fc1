"""The finished report and the renderers that turn it into text."""
