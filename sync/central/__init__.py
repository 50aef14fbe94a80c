"""The municipality's central system: its API contract (``openapi.yaml``), the terminal's HTTP
client (:mod:`sync.central.client`), and the central service itself (:mod:`sync.central.server`;
:mod:`sync.central.service` runs it in one object for the demo and the tests)."""
