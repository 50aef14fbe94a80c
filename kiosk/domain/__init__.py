"""The core's vocabulary: model, ports, errors, the event core, privacy, CPR. No I/O."""
