"""The bundled demo data set and its generator."""
