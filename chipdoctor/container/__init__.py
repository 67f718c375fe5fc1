"""The Docker Engine, through the docker SDK (imported only by the commands that use it)."""
