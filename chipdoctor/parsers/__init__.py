"""Pure text-to-data parsers for vendor files and command outputs (no I/O, never raise)."""
