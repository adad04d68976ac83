"""Prices: the catalogue from genai-prices plus overrides, the cost mirror, and the Alloy cost module renderer."""
