"""Who issues the credentials: a small interface and one module per provider."""
