"""The entrance door: relay boards that unlock it, the contact that says whether it is open.

- :mod:`hardware.door.relay_protocols`: the LCUS and Numato byte protocols (pure).
- :mod:`hardware.door.relay`: the boards, :class:`~hardware.door.relay.RelayDoorLock` (DoorLock port)
  and :class:`~hardware.door.relay.NumatoDoorSensor` (DoorSensor port).
- :mod:`hardware.door.watchdog`: the supervisor process that locks the door if the kiosk dies, and
  the hardware advice (REX input, monostable) that is stronger than any software.
- :mod:`hardware.door.relay_sim`: simulated boards for tests and the demo.

Held-open, forced-open and tailgating detection live in the core: :mod:`kiosk.door.supervision`.
"""
