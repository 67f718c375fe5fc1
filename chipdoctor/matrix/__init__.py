"""Compatibility matrices: YAML data loaded into a model that rules query."""
