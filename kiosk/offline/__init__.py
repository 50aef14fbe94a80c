"""Working without the LMS: online/offline mode, the offline desk, replay, sealing."""
