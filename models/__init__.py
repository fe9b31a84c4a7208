"""The model layer: plain Python, no Dagster. Encoder, language, sentiment, topics."""
