"""The layers of ``ember.nn``, one file per family as in ``torch.nn.modules``."""
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .attention import MultiheadAttention
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .linear import Bilinear, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding, EmbeddingBag
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                          TransformerEncoderLayer)
# issue 21: activations, normalization, channel dropout, losses (bind_nn_extra.cpp)
from .activation import (CELU, ELU, GLU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, PReLU,
                         ReLU6, SELU, Softmin, Softplus, Softshrink, Softsign, Tanhshrink, Threshold)
from .dropout import Dropout1d, Dropout2d
from .flatten import Unflatten
from .normalization import GroupNorm, InstanceNorm1d, InstanceNorm2d, RMSNorm
from .loss import (CosineEmbeddingLoss, GaussianNLLLoss, KLDivLoss, MarginRankingLoss, MultiLabelSoftMarginLoss,
                   PoissonNLLLoss, TripletMarginLoss)

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "Bilinear", "BatchNorm2d", "Conv2d",
    "CrossEntropyLoss", "Dropout", "Embedding", "EmbeddingBag", "Flatten", "GELU", "HuberLoss", "Identity", "L1Loss", "LayerNorm",
    "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "MultiheadAttention", "NLLLoss", "ReLU",
    "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Tanh",
    "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer",
    # issue 21: activations, normalization, channel dropout, losses
    "CELU", "ELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh", "LogSigmoid", "Mish", "PReLU",
    "ReLU6", "SELU", "Softmin", "Softplus", "Softshrink", "Softsign", "Tanhshrink", "Threshold",
    "Dropout1d", "Dropout2d", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "RMSNorm", "Unflatten",
    "CosineEmbeddingLoss", "GaussianNLLLoss", "KLDivLoss", "MarginRankingLoss", "MultiLabelSoftMarginLoss",
    "PoissonNLLLoss", "TripletMarginLoss",
]

# transposed / 1-d convolution, 1-d and adaptive max pooling, spatial layers (issue 21)
from .conv import Conv1d, ConvTranspose1d, ConvTranspose2d
from .pooling import AdaptiveAvgPool1d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, MaxPool1d
from .spatial import (CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, PixelShuffle, PixelUnshuffle,
                      ReflectionPad1d, ReflectionPad2d, ReplicationPad1d, ReplicationPad2d, Unfold, Fold, Upsample,
                      UpsamplingBilinear2d, UpsamplingNearest2d, ZeroPad1d, ZeroPad2d)

__all__ += [
    "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool1d", "CircularPad1d", "CircularPad2d",
    "ConstantPad1d", "ConstantPad2d", "Conv1d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "PixelShuffle",
    "PixelUnshuffle", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "Unfold", "Fold",
    "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d", "ZeroPad1d", "ZeroPad2d",
    # recurrent layers (rnn.py)
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell",
]
