"""HTTP shell: the OSV-compatible API under /v1 and Bastion's own API under /api."""
