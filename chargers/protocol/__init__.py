"""OCPP-J on the wire: frame parsing, CALLERROR codes per version, and the charge point classes."""

import ocpp.messages

# Validation in a worker thread costs a thread hop per message and buys no parallelism.
ocpp.messages.ASYNC_VALIDATION = False
