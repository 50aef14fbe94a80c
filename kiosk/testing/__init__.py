"""In-memory doubles of every port (the ``memory`` kind), for unit tests."""
