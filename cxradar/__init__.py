"""cxradar: self-hosted social listening and review sentiment for CX teams."""

__version__ = "0.1.0"
