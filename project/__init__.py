"""The project definition (``template.yaml``) as code, shared by the local tools and ``deploy/``;
never deployed."""
