"""The battery's Inspect tasks (registered with ``@task``; imported by the ``bastion`` entry point)."""
