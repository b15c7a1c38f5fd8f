"""Helpers shared by the test tiers: one home per concept, imported by tests and conftests.

Conftests hold fixtures only; whatever a test calls (the host's environment, the
`awslogin` script, a polling wait, the token proxy, the scripted phone) lives here, so
that a change to one of them (such as how the person confirms on the relay's page) is
made once. See tests/README.md.
"""
