"""The service's HTTP server package."""
