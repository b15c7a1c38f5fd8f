"""Small adapters at the bottom of the CLI: each knows one outside thing and none of the others.

The outside things: the AWS config file, awslogin's token cache, botocore's login and SSO
caches, the terminal (and the events `login --json` writes for a program reading along),
the browser, HTTP, the clock, and for `serve` and `exec` the
container credentials endpoint, the local audit log and child processes. The rule that
keeps them apart (tests/unit/cli/test_structure.py checks it): an adapter imports the
standard library, the one third-party library it wraps (filelock, httpx with its httpcore,
qrcode, h11), and of awslogin only the package itself (its version),
`awslogin.errors`, and `awslogin.adapters.files`, the private-file primitives every cache
adapter shares. The one exception is the terminal, which draws with the two modules that
hold its drawings: `adapters.qr` (the QR code) and `adapters.waiting_line` (the countdown
line).
"""
