"""Where probes look: one interface over the live host, a snapshot directory or an image."""
