"""The web layer: FastAPI app, JSON API and Jinja2 pages."""
