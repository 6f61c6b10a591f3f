"""The query API: reads of the MongoDB read models and Elasticsearch search, served by the
FastAPI app that ``read_api.app.create_app`` builds."""
