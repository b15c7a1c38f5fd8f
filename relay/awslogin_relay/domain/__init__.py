"""The pairing domain: identifiers, authorize-URL policy and the pairing service."""
