"""layerlab: see what PyTorch layers do."""

__version__ = "0.1.0"
