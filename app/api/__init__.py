"""The web layer: thin routers over the engine, renderer, datasets and stores."""
