"""A fleet of simulated chargers that speak OCPP 1.6 and 2.0.1 through the `ocpp` library.

`profiles` describes the makes (vendor, model, firmware, protocol, fault dialect), `traffic` plans what
each charger says (deterministic for a seed), `dialects` holds each make's way of reporting faults,
`station` runs one charger over a WebSocket and answers remote commands, and `fleet` runs many.
"""
