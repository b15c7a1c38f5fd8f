"""awslogin relay: pairs a browser-side authorization with a host waiting for it."""
