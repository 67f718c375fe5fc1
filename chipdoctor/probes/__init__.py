"""Probes turn raw evidence into components, devices and findings; one module per stack."""
