"""HTTP layer: middleware, routes, pages and error mapping over the pairing service."""
