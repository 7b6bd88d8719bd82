"""Deployment tooling (never packaged into a function): template validation (``validate``),
reproducible FunctionGraph packages (``package``), the OpenAPI definition (``openapi``) and
idempotent deployment through the official FunctionGraph SDK (``deploy``).

Run as ``python -m deploy.<module>``; the Makefile targets validate, package, openapi, deploy and
rollback wrap them."""
