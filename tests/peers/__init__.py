"""Launchers for the real peers that integration and e2e tests talk to on 127.0.0.1.

One module per peer (oidc, sts, relay, redis, browser, netns); each has `available()`
and a context-manager class that starts the peer on a free port, waits until it
answers and always stops it. tests/conftest.py turns them into fixtures.
"""
