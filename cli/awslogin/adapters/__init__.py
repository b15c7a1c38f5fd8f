"""Small adapters at the bottom of the CLI: each knows one outside thing, none of the others."""
