"""Dependency verification: manifests → declared packages → known vulnerabilities (OSV),
packages that do not exist, look-alike names, yanked or new packages, undeclared imports.

The library entry point is `distrust.deps.audit.audit(root, DepsOptions(...))`; the command
line wiring is in `distrust.deps.commands`."""
