"""int8 post-training quantization for deployment (docs/quantization.md).

>>> qmodel = ember.quantization.quantize(model, calibration_loader, num_batches=4)
>>> qmodel(x)                      # int8 conv2d / linear on oneDNN, the rest float32
>>> qmodel.save("model.int8.ember")  # the C++ deploy program runs it (ember::deploy::load)
>>> ember.onnx.export(qmodel, x, "model.int8.onnx")  # QuantizeLinear / DequantizeLinear for onnxruntime
"""
from ._observers import METHODS
from ._quantize import LayerReport, QuantizedModel, quantize

__all__ = ["quantize", "QuantizedModel", "LayerReport", "METHODS"]
