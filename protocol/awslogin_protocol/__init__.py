"""The relay protocol, version 1: the one implementation both the host and the relay use.

`messages` holds every JSON body that crosses the wire (typed, validated, documented in
the relay's OpenAPI document from the same models); `sealing` holds the encryption of a
result to the host's key. The host (`awslogin`) and the relay (`awslogin_relay`) both
import this package and nothing of each other. docs/protocol.md describes the exchange.
"""

VERSION = 1
