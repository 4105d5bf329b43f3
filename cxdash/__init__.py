"""cxdash: an executive dashboard for customer-service operations, built on DuckDB."""

__version__ = "0.1.0"
