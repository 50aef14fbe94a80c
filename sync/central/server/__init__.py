"""The municipality's central service: the API of ``sync/central/openapi.yaml`` served by FastAPI and
uvicorn, its state in SQLAlchemy (an SQLite file by default, PostgreSQL for a municipality)."""
