"""How an authorization result travels back to the host (loopback, relay; paste, device later)."""
