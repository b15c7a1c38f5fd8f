"""How a sign-in reaches a person and its result travels back to the host.

Authorization flows (flows/base.py): `loopback` (a browser on this machine), `relay`
(any device, through the relay) and `paste` (a code typed here). Device authorization
(`device`, RFC 8628) is a flow of its own: the host polls, nothing comes back.
"""
