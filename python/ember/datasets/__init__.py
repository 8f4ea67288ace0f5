"""Datasets with torchvision.datasets' names, read by ember's C++ core (``ember::data``).

``FashionMNIST()`` reads Debian's ``dataset-fashion-mnist`` package (``apt install dataset-fashion-mnist``,
files under ``/usr/share/datasets/fashion-mnist``); ``MNIST(root)`` reads MNIST-format IDX files you
already have. ember never downloads anything.
"""
from .mnist import MNIST, FashionMNIST

__all__ = ["MNIST", "FashionMNIST"]
