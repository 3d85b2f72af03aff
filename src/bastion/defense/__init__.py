"""Defensive tools for agencies: inventories (SBOMs, lockfiles), continuous exposure, SSVC priorities, VEX.

The facade is ``service.Defense`` (built by the container); records are in ``records``.
"""
