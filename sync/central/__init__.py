"""The municipality's central system: its API contract (``openapi.yaml``), the terminal's HTTP
client (:mod:`sync.central.client`) and an emulator of the central side for the demo and the tests
(:mod:`sync.central.emulator`)."""
