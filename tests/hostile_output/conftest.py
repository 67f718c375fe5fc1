"""The real Docker Engine and the stand-in base image of tests/docker, for the builds here."""

from tests.docker.conftest import client, docker_host, stand_in_base

__all__ = ["client", "docker_host", "stand_in_base"]
