"""
ember's C++ core: typed tensors on oneDNN and Eigen
"""
from __future__ import annotations
import collections.abc
import numpy
import typing
import typing_extensions
__all__: list[str] = ['CheckpointError', 'DeployedModel', 'Generator', 'GradcheckError', 'Node', 'RemovableHandle', 'Tensor', 'abs', 'abs_', 'absolute', 'acos', 'acos_', 'acosh', 'acosh_', 'adaptive_avg_pool1d', 'adaptive_avg_pool2d', 'adaptive_max_pool1d', 'adaptive_max_pool2d', 'add', 'addbmm', 'addcdiv', 'addcmul', 'addmm', 'addmv', 'addr', 'all', 'allclose', 'amax', 'amin', 'aminmax', 'any', 'arange', 'arccos', 'arccosh', 'arcsin', 'arcsinh', 'arctan', 'arctan2', 'arctanh', 'argmax', 'argmin', 'argsort', 'argwhere', 'asin', 'asin_', 'asinh', 'asinh_', 'atan', 'atan2', 'atan_', 'atanh', 'atanh_', 'avg_pool1d', 'avg_pool2d', 'baddbmm', 'batch_norm', 'bfloat16', 'bilinear', 'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'bincount', 'bmm', 'bool', 'bucketize', 'cat', 'cdist', 'ceil', 'ceil_', 'celu', 'chunk', 'clamp', 'clip', 'concat', 'concatenate', 'conv1d', 'conv2d', 'conv_transpose1d', 'conv_transpose2d', 'copysign', 'cos', 'cos_', 'cosh', 'cosh_', 'cosine_embedding_loss', 'cosine_similarity', 'count_nonzero', 'cross', 'cross_entropy', 'cuda', 'cummax', 'cummin', 'cumprod', 'cumsum', 'default_generator', 'deg2rad', 'deg2rad_', 'device', 'diag', 'diagonal', 'diff', 'div', 'divide', 'dot', 'double', 'dropout', 'dropout1d', 'dropout2d', 'dtype', 'einsum', 'elu', 'embedding', 'empty', 'empty_like', 'eq', 'erf', 'erf_', 'erfc', 'erfc_', 'exp', 'exp2', 'exp2_', 'exp_', 'expm1', 'expm1_', 'eye', 'fix', 'flip', 'fliplr', 'flipud', 'float', 'float32', 'float64', 'floor', 'floor_', 'floor_divide', 'fmod', 'frac', 'frac_', 'from_dlpack', 'from_numpy', 'full', 'full_like', 'gather', 'gaussian_nll_loss', 'ge', 'gelu', 'generate_square_subsequent_mask', 'get_num_threads', 'get_rng_state', 'glu', 'group_norm', 'gt', 'hardshrink', 'hardsigmoid', 'hardswish', 'hardtanh', 'huber_loss', 'hypot', 'index_add', 'index_copy', 'index_fill', 'index_select', 'initial_seed', 'instance_norm', 'int', 'int32', 'int64', 'int8', 'is_grad_enabled', 'isclose', 'isfinite', 'isin', 'isinf', 'isnan', 'kl_div', 'kron', 'kthvalue', 'l1_loss', 'layer_norm', 'le', 'leaky_relu', 'leaky_relu_', 'lerp', 'linear', 'linspace', 'log', 'log10', 'log10_', 'log1p', 'log1p_', 'log2', 'log2_', 'log_', 'log_softmax', 'logaddexp', 'logcumsumexp', 'logical_and', 'logical_not', 'logical_or', 'logical_xor', 'logit', 'logit_', 'logsigmoid', 'logsumexp', 'long', 'lt', 'manual_seed', 'margin_ranking_loss', 'masked_fill', 'masked_scatter', 'masked_select', 'matmul', 'max', 'max_pool1d', 'max_pool2d', 'maximum', 'mean', 'median', 'meshgrid', 'min', 'minimum', 'mish', 'mm', 'mode', 'mse_loss', 'msort', 'mul', 'multi_head_attention_forward', 'multilabel_soft_margin_loss', 'multinomial', 'multiply', 'mv', 'nan_to_num', 'nanmean', 'nanmedian', 'nanquantile', 'nansum', 'ne', 'neg', 'neg_', 'negative', 'nll_loss', 'nonzero', 'norm', 'normalize', 'one_hot', 'ones', 'ones_like', 'outer', 'pairwise_distance', 'pixel_shuffle', 'pixel_unshuffle', 'poisson_nll_loss', 'pow', 'prelu', 'prod', 'promote_types', 'quantile', 'rad2deg', 'rad2deg_', 'rand', 'randint', 'randn', 'randperm', 'reciprocal', 'reciprocal_', 'relu', 'relu6', 'relu_', 'remainder', 'repeat_interleave', 'return_types', 'rms_norm', 'roll', 'rot90', 'round', 'round_', 'rsqrt', 'rsqrt_', 'scaled_dot_product_attention', 'scatter', 'scatter_add', 'scatter_reduce', 'searchsorted', 'seed', 'selu', 'set_num_threads', 'set_rng_state', 'sgn', 'sigmoid', 'sigmoid_', 'sign', 'sign_', 'signbit', 'silu', 'silu_', 'sin', 'sin_', 'sinh', 'sinh_', 'smooth_l1_loss', 'softmax', 'softmin', 'softplus', 'softshrink', 'softsign', 'sort', 'split', 'sqrt', 'sqrt_', 'square', 'square_', 'stack', 'std', 'std_mean', 'sub', 'subtract', 'sum', 'take', 'take_along_dim', 'tan', 'tan_', 'tanh', 'tanh_', 'tanhshrink', 'tensor', 'tensor_split', 'tensordot', 'threshold', 'tile', 'topk', 'trace', 'tril', 'tril_indices', 'triplet_margin_loss', 'triu', 'triu_indices', 'true_divide', 'trunc', 'trunc_', 'uint8', 'unbind', 'unique', 'var', 'var_mean', 'vdot', 'where', 'xlogy', 'zeros', 'zeros_like']
class Tensor:
    """
    An n-dimensional array of one dtype on one device, with PyTorch's API.
    """
    __array_priority__: typing.ClassVar[int] = 1000
    @staticmethod
    def __repr__(t) -> str:
        ...
    @staticmethod
    def __str__(t) -> str:
        ...
    @staticmethod
    def absolute(*args, **kwargs):
        """
        abs(self: ember._core.Tensor) -> ember._core.Tensor
        
        ``|input|`` elementwise.
        """
    @staticmethod
    def arccos(*args, **kwargs):
        """
        acos(self: ember._core.Tensor) -> ember._core.Tensor
        
        Arccosine elementwise.
        """
    @staticmethod
    def arccosh(*args, **kwargs):
        """
        acosh(self: ember._core.Tensor) -> ember._core.Tensor
        
        Inverse hyperbolic cosine elementwise.
        """
    @staticmethod
    def arcsin(*args, **kwargs):
        """
        asin(self: ember._core.Tensor) -> ember._core.Tensor
        
        Arcsine elementwise.
        """
    @staticmethod
    def arcsinh(*args, **kwargs):
        """
        asinh(self: ember._core.Tensor) -> ember._core.Tensor
        
        Inverse hyperbolic sine elementwise.
        """
    @staticmethod
    def arctan(*args, **kwargs):
        """
        atan(self: ember._core.Tensor) -> ember._core.Tensor
        
        Arctangent elementwise.
        """
    @staticmethod
    def arctan2(*args, **kwargs):
        """
        atan2(self: object, other: object) -> object
        
        Arctangent of input / other elementwise, in the quadrant of (other, input).
        """
    @staticmethod
    def arctanh(*args, **kwargs):
        """
        atanh(self: ember._core.Tensor) -> ember._core.Tensor
        
        Inverse hyperbolic tangent elementwise.
        """
    @staticmethod
    def bernoulli(input: Tensor, p: typing.Any = None, *, generator: typing.Any = None) -> Tensor:
        """
        1 with probability input (or p) at each element, else 0, in input's dtype.
        """
    @staticmethod
    def broadcast_to(input: Tensor, size: typing.Any) -> Tensor:
        """
        input expanded to size by broadcasting (-1 keeps a dim; a view).
        """
    @staticmethod
    def clamp_max(input: Tensor, max: typing.Any) -> Tensor:
        """
        clamp(input, max=max).
        """
    @staticmethod
    def clamp_min(input: Tensor, min: typing.Any) -> Tensor:
        """
        clamp(input, min=min).
        """
    @staticmethod
    def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
        """
        The p-norm of input - other (broadcast).
        """
    @staticmethod
    def equal(input: Tensor, other: Tensor) -> bool:
        """
        True when input and other have the same shape and equal elements (NaN equals nothing).
        """
    @staticmethod
    def fix(*args, **kwargs):
        """
        trunc(self: ember._core.Tensor) -> ember._core.Tensor
        
        input rounded toward zero elementwise; gradient 0.
        """
    @staticmethod
    def heaviside(input: Tensor, values: typing.Any) -> Tensor:
        """
        0 where input < 0, 1 where input > 0, values where input == 0 (not differentiable).
        """
    @staticmethod
    def inner(input: Tensor, other: Tensor) -> Tensor:
        """
        The sum of products over the last dims of input and other (a product when either is 0-d).
        """
    @staticmethod
    def inverse(input: Tensor) -> Tensor:
        """
        The inverse of every matrix of input (..., n, n) (linalg.inv).
        """
    @staticmethod
    def logdet(input: Tensor) -> Tensor:
        """
        log(det) of every matrix of input: NaN for a negative determinant, -inf for a singular matrix.
        """
    @staticmethod
    def moveaxis(input: Tensor, source: typing.Any, destination: typing.Any) -> Tensor:
        """
        The dims at source moved to destination (ints or sequences of ints), the others keeping their order
            (a view).
        """
    @staticmethod
    def movedim(input: Tensor, source: typing.Any, destination: typing.Any) -> Tensor:
        """
        The dims at source moved to destination (ints or sequences of ints), the others keeping their order
            (a view).
        """
    @staticmethod
    def sgn(*args, **kwargs):
        """
        sign(self: ember._core.Tensor) -> ember._core.Tensor
        
        -1, 0 or 1 by the sign of input (0 for NaN); gradient 0.
        """
    @staticmethod
    def slogdet(A: Tensor) -> SlogdetResult:
        """
        (sign, log|det|) of every matrix of A (..., n, n); sign 0 and log|det| -inf for a singular matrix.
            Differentiable in logabsdet.
        """
    @staticmethod
    def unflatten(input: Tensor, dim: int, sizes: typing.Any) -> Tensor:
        """
        Dim dim split into sizes (one may be -1), as nn.Unflatten (a view when possible).
        """
    def __abs__(self) -> Tensor:
        ...
    def __add__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __and__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __array__(self, dtype: typing.Any = None, copy: typing.Any = None) -> typing.Any:
        ...
    def __bool__(self) -> bool:
        ...
    def __copy__(self) -> Tensor:
        ...
    def __deepcopy__(self, arg0: typing.Any) -> Tensor:
        ...
    def __dlpack__(self, *, stream: typing.Any = None, max_version: typing.Any = None, dl_device: typing.Any = None, copy: typing.Any = None) -> typing_extensions.CapsuleType:
        """
        A DLPack capsule sharing this tensor's memory.
        """
    def __dlpack_device__(self) -> tuple[int, int]:
        """
        (device type, device index) as DLPack numbers them.
        """
    def __eq__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __float__(self) -> float:
        ...
    def __floordiv__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __format__(self, format_spec: str) -> typing.Any:
        ...
    def __ge__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __getitem__(self, key: typing.Any) -> Tensor:
        """
        self[key] with NumPy's rules: ints, slices, None and ... give views; integer and bool tensors, arrays and lists are advanced indices (a copy).
        """
    def __gt__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __hash__(self):
        """
        Return hash(self).
        """
    def __iadd__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __imul__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __index__(self) -> int:
        ...
    @typing.overload
    def __init__(self, data: Tensor) -> None:
        """
        A tensor object aliasing data (same storage and autograd identity); subclasses such as
        nn.Parameter wrap a detached tensor this way.
        """
    @typing.overload
    def __init__(self, *args) -> None:
        """
        The legacy constructor: Tensor(*sizes) uninitialised float32, Tensor(data) a float32 copy, Tensor() empty.
        """
    def __int__(self) -> int:
        ...
    def __invert__(self) -> Tensor:
        """
        ~input for a bool tensor (logical not).
        """
    def __ipow__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __isub__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __iter__(self) -> typing.Any:
        """
        Iterates over dim 0 (t[0], t[1], ...).
        """
    def __itruediv__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __le__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __len__(self) -> int:
        ...
    def __lt__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __matmul__(self, arg0: typing.Any) -> typing.Any:
        """
        self @ other (see ember.matmul).
        """
    def __mod__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __mul__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __ne__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __neg__(self) -> Tensor:
        ...
    def __or__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __pow__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __radd__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __rand__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __rfloordiv__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __rmatmul__(self, arg0: typing.Any) -> typing.Any:
        """
        other @ self (see ember.matmul).
        """
    def __rmod__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __rmul__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __ror__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __rpow__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __rsub__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __rtruediv__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __rxor__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __setitem__(self, key: typing.Any, value: typing.Any) -> None:
        """
        self[key] = value: value (a number, tensor or array) is broadcast to the indexed shape and converted; advanced indices scatter, the last write to a repeated position winning.
        """
    def __sub__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __truediv__(self, arg0: typing.Any) -> typing.Any:
        ...
    def __xor__(self, arg0: typing.Any) -> typing.Any:
        ...
    def abs(self) -> Tensor:
        """
        ``|input|`` elementwise.
        """
    def abs_(self) -> typing.Any:
        """
        In place: ``|input|`` elementwise.
        """
    def acos(self) -> Tensor:
        """
        Arccosine elementwise.
        """
    def acos_(self) -> typing.Any:
        """
        In place: Arccosine elementwise.
        """
    def acosh(self) -> Tensor:
        """
        Inverse hyperbolic cosine elementwise.
        """
    def acosh_(self) -> typing.Any:
        """
        In place: Inverse hyperbolic cosine elementwise.
        """
    @typing.overload
    def add(self, other: typing.Any) -> typing.Any:
        """
        input + other, broadcast and type-promoted (bool + bool is logical or).
        """
    @typing.overload
    def add(self, other: typing.Any, *, alpha: typing.Any) -> typing.Any:
        """
        self + alpha * other.
        """
    @typing.overload
    def add_(self, other: typing.Any) -> typing.Any:
        """
        self += other in place (other broadcast to self's shape); returns self.
        """
    @typing.overload
    def add_(self, other: typing.Any, *, alpha: typing.Any) -> typing.Any:
        """
        self += alpha * other in place; returns self.
        """
    def addbmm(self, batch1: Tensor, batch2: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
        """
        beta * input + alpha * the sum over the batch of bmm(batch1, batch2); input broadcasts to the (n, p) result.
        """
    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
        """
        input + value * tensor1 / tensor2, broadcast; floating inputs only.
        """
    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, *, value: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
        """
        In-place self += value * tensor1 / tensor2; returns self.
        """
    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
        """
        input + value * tensor1 * tensor2, broadcast.
        """
    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, *, value: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
        """
        In-place self += value * tensor1 * tensor2; returns self.
        """
    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
        """
        beta * input + alpha * (mat1 @ mat2) for 2-D mat1 and mat2; input broadcasts to the product's shape.
        """
    def addmv(self, mat: Tensor, vec: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
        """
        beta * input + alpha * (mat @ vec) for a 2-D mat and a 1-D vec; input broadcasts to the product's shape.
        """
    def addr(self, vec1: Tensor, vec2: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
        """
        beta * input + alpha * outer(vec1, vec2) for 1-D vectors; input broadcasts to the product's shape.
        """
    def all(self, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
        """
        Whether every element over dim (None: all dims) is non-zero, as a bool tensor.
        """
    def allclose(self, other: Tensor, rtol: typing.SupportsFloat | typing.SupportsIndex = 1e-05, atol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, equal_nan: bool = False) -> bool:
        """
        Whether isclose(input, other, rtol, atol, equal_nan) holds everywhere, as a Python bool.
        """
    def amax(self, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
        """
        Largest element over dim (None: all dims); NaN propagates; an empty reduced dim is an IndexError.
        """
    def amin(self, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
        """
        Smallest element over dim (None: all dims); NaN propagates; an empty reduced dim is an IndexError.
        """
    def aminmax(self, *, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
        """
        A named tuple (min, max) of the smallest and largest elements over dim (None: all dims).
        """
    def any(self, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
        """
        Whether some element over dim (None: all dims) is non-zero, as a bool tensor.
        """
    def argmax(self, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
        """
        Index (int64) of the largest element along dim, or of the flattened input when dim is None; ties give the first index, the first NaN wins.
        """
    def argmin(self, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
        """
        Index (int64) of the smallest element along dim, or of the flattened input when dim is None; ties give the first index, the first NaN wins.
        """
    def argsort(self, dim: typing.SupportsInt | typing.SupportsIndex = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
        """
        The indices (int64) that sort input along dim (the indices of sort).
        """
    def argwhere(self) -> Tensor:
        """
        The indices of the nonzero elements, one row each (as nonzero).
        """
    def asin(self) -> Tensor:
        """
        Arcsine elementwise.
        """
    def asin_(self) -> typing.Any:
        """
        In place: Arcsine elementwise.
        """
    def asinh(self) -> Tensor:
        """
        Inverse hyperbolic sine elementwise.
        """
    def asinh_(self) -> typing.Any:
        """
        In place: Inverse hyperbolic sine elementwise.
        """
    def atan(self) -> Tensor:
        """
        Arctangent elementwise.
        """
    def atan2(self, other: typing.Any) -> typing.Any:
        """
        Arctangent of input / other elementwise, in the quadrant of (other, input).
        """
    def atan_(self) -> typing.Any:
        """
        In place: Arctangent elementwise.
        """
    def atanh(self) -> Tensor:
        """
        Inverse hyperbolic tangent elementwise.
        """
    def atanh_(self) -> typing.Any:
        """
        In place: Inverse hyperbolic tangent elementwise.
        """
    def backward(self, gradient: typing.Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """
        Accumulates the gradient of this tensor into every leaf's .grad (gradient may be omitted for one element).
        """
    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
        """
        beta * input + alpha * bmm(batch1, batch2) for 3-D batches; input broadcasts to the product's shape.
        """
    def bernoulli_(self, p: typing.Any = 0.5, *, generator: typing.Any = None) -> Tensor:
        """
        Fills the tensor with 1 with probability p (a number or a tensor), else 0.
        """
    def bfloat16(self) -> Tensor:
        """
        Converts to bfloat16 (round to nearest even).
        """
    def bincount(self, weights: Tensor | None = None, minlength: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
        """
        Occurrences of each value 0..max(input) of a 1-D non-negative integer tensor (at least minlength bins); with weights their sums instead (float32 weights: float32, others: float64).
        """
    def bmm(self, mat2: Tensor) -> Tensor:
        """
        Batched product of (B, M, K) and (B, K, N) tensors.
        """
    def bool(self) -> Tensor:
        """
        Converts to bool.
        """
    def byte(self) -> Tensor:
        """
        Converts to uint8.
        """
    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: typing.Any = None) -> Tensor:
        """
        Fills the tensor with samples of the Cauchy distribution (median, scale sigma).
        """
    def ceil(self) -> Tensor:
        """
        Smallest integer >= input elementwise; gradient 0.
        """
    def ceil_(self) -> typing.Any:
        """
        In place: Smallest integer >= input elementwise; gradient 0.
        """
    def char(self) -> Tensor:
        """
        Converts to int8.
        """
    def cholesky(self, upper: bool = False) -> Tensor:
        """
        The Cholesky factor of every matrix of self (linalg.cholesky).
        """
    def chunk(self, chunks: typing.SupportsInt | typing.SupportsIndex, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple:
        """
        At most ``chunks`` views along dim, each of ceil(size / chunks) elements.
        """
    def clamp(self, min: typing.Any = None, max: typing.Any = None) -> Tensor:
        """
        self limited elementwise to [min, max]; each bound optional, a number or a tensor.
        """
    def clamp_(self, min: typing.Any = None, max: typing.Any = None) -> typing.Any:
        """
        clamp written into self; returns self.
        """
    def clamp_max_(self, max: typing.Any) -> typing.Any:
        """
        clamp(max=max) written into self; returns self.
        """
    def clamp_min_(self, min: typing.Any) -> typing.Any:
        """
        clamp(min=min) written into self; returns self.
        """
    def clip(self, min: typing.Any = None, max: typing.Any = None) -> Tensor:
        """
        Alias of clamp.
        """
    def clip_(self, min: typing.Any = None, max: typing.Any = None) -> typing.Any:
        """
        clamp written into self; returns self.
        """
    def clone(self) -> Tensor:
        """
        A contiguous copy that shares no memory.
        """
    def contiguous(self) -> Tensor:
        """
        This tensor if contiguous, else a contiguous copy.
        """
    def copy_(self, src: Tensor) -> Tensor:
        """
        Copies src (broadcast, converted) into this tensor in place.
        """
    def copysign(self, other: typing.Any) -> typing.Any:
        """
        abs(input) with the sign of other elementwise (float results).
        """
    def cos(self) -> Tensor:
        """
        Cosine elementwise.
        """
    def cos_(self) -> typing.Any:
        """
        In place: Cosine elementwise.
        """
    def cosh(self) -> Tensor:
        """
        Hyperbolic cosine elementwise.
        """
    def cosh_(self) -> typing.Any:
        """
        In place: Hyperbolic cosine elementwise.
        """
    def count_nonzero(self, dim: typing.Any = None) -> Tensor:
        """
        The number of nonzero elements over dim (None: all dims), as int64.
        """
    def cpu(self) -> Tensor:
        """
        This tensor on the CPU (self when it is there already).
        """
    def cross(self, other: Tensor, dim: typing.Any = None) -> Tensor:
        """
        The cross product of the 3-vectors along dim (input and other broadcast); dim None: the first dim of extent 3 (use ember.linalg.cross for dim=-1).
        """
    def cuda(self, device: typing.Any = None, non_blocking: bool = False) -> Tensor:
        """
        This tensor on a CUDA device (cuda:0 by default, or an index).
        """
    def cummax(self, dim: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
        """
        A named tuple (values, indices) of the running maximum along dim (NaN sticks).
        """
    def cummin(self, dim: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
        """
        A named tuple (values, indices) of the running minimum along dim (NaN sticks).
        """
    def cumprod(self, dim: typing.SupportsInt | typing.SupportsIndex, *, dtype: typing.Any = None) -> Tensor:
        """
        Running product along dim (bool/integers: int64; dtype converts the input first); the gradient is exact with zeros.
        """
    def cumsum(self, dim: typing.SupportsInt | typing.SupportsIndex, *, dtype: typing.Any = None) -> Tensor:
        """
        Running sum along dim (bool/integers: int64; dtype converts the input first).
        """
    def data_ptr(self) -> int:
        """
        Address of element 0.
        """
    def deg2rad(self) -> Tensor:
        """
        Degrees to radians elementwise.
        """
    def deg2rad_(self) -> typing.Any:
        """
        In place: Degrees to radians elementwise.
        """
    def det(self) -> Tensor:
        """
        The determinant of every matrix of self (linalg.det).
        """
    def detach(self) -> Tensor:
        """
        The same memory, cut from the autograd graph (requires_grad False).
        """
    def diag(self, diagonal: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
        """
        A 1-D input as the diagonal of a square matrix, or the diagonal of a 2-D input as a new 1-D tensor.
        """
    def diagonal(self, offset: typing.SupportsInt | typing.SupportsIndex = 0, dim1: typing.SupportsInt | typing.SupportsIndex = 0, dim2: typing.SupportsInt | typing.SupportsIndex = 1) -> Tensor:
        """
        The diagonal of dims dim1 and dim2 (offset above > 0 or below < 0 the main one), as a view whose last dim runs along it.
        """
    def diff(self, n: typing.SupportsInt | typing.SupportsIndex = 1, dim: typing.SupportsInt | typing.SupportsIndex = -1, prepend: Tensor | None = None, append: Tensor | None = None) -> Tensor:
        """
        The n-th forward difference along dim (bool: xor), after prepend and append are concatenated along dim.
        """
    def dim(self) -> int:
        """
        Number of dims.
        """
    def div(self, other: typing.Any, *, rounding_mode: str | None = None) -> Tensor:
        """
        self / other, with torch.div's rounding_mode.
        """
    def div_(self, other: typing.Any) -> typing.Any:
        """
        self /= other in place; returns self (TypeError for integer self: the result is float).
        """
    def divide(self, other: typing.Any, *, rounding_mode: str | None = None) -> Tensor:
        """
        self / other, with torch.div's rounding_mode.
        """
    def dot(self, other: Tensor) -> Tensor:
        """
        Dot product of two 1-D tensors, as a 0-d tensor.
        """
    def double(self) -> Tensor:
        """
        Converts to float64.
        """
    def element_size(self) -> int:
        """
        Bytes per element.
        """
    def eq(self, other: typing.Any) -> typing.Any:
        """
        input == other elementwise, as a bool tensor.
        """
    def erf(self) -> Tensor:
        """
        The error function elementwise.
        """
    def erf_(self) -> typing.Any:
        """
        In place: The error function elementwise.
        """
    def erfc(self) -> Tensor:
        """
        1 - erf(input) elementwise, accurate for large input.
        """
    def erfc_(self) -> typing.Any:
        """
        In place: 1 - erf(input) elementwise, accurate for large input.
        """
    def exp(self) -> Tensor:
        """
        e**input elementwise (integer inputs give float32).
        """
    def exp2(self) -> Tensor:
        """
        2**input elementwise.
        """
    def exp2_(self) -> typing.Any:
        """
        In place: 2**input elementwise.
        """
    def exp_(self) -> typing.Any:
        """
        In place: e**input elementwise (integer inputs give float32).
        """
    def expand(self, *args) -> Tensor:
        """
        A broadcast view with the given shape (-1 keeps a dim).
        """
    def expand_as(self, other: Tensor) -> Tensor:
        """
        expand() to other's shape.
        """
    def expm1(self) -> Tensor:
        """
        exp(input) - 1 elementwise, accurate for small input.
        """
    def expm1_(self) -> typing.Any:
        """
        In place: exp(input) - 1 elementwise, accurate for small input.
        """
    def exponential_(self, lambd: float = 1.0, *, generator: typing.Any = None) -> Tensor:
        """
        Fills the tensor with samples of the exponential distribution of rate lambd.
        """
    def fill_(self, value: typing.Any) -> Tensor:
        """
        Sets every element to value, in place.
        """
    def fill_diagonal_(self, fill_value: typing.Any, wrap: bool = False) -> typing.Any:
        """
        Writes fill_value on the main diagonal (wrap: a tall matrix's diagonal starts again every cols + 1 rows).
        """
    def flatten(self, start_dim: typing.SupportsInt | typing.SupportsIndex = 0, end_dim: typing.SupportsInt | typing.SupportsIndex = -1) -> Tensor:
        """
        Merges dims start_dim..end_dim (a view when possible).
        """
    def flip(self, *args, **kwargs) -> Tensor:
        """
        A copy with the order of elements reversed along dims (x.flip(0, 1) or x.flip((0, 1))).
        """
    def fliplr(self) -> Tensor:
        """
        flip along dim 1 (left/right); input must be at least 2-D.
        """
    def flipud(self) -> Tensor:
        """
        flip along dim 0 (up/down); input must be at least 1-D.
        """
    def float(self) -> Tensor:
        """
        Converts to float32.
        """
    def floor(self) -> Tensor:
        """
        Largest integer <= input elementwise; gradient 0.
        """
    def floor_(self) -> typing.Any:
        """
        In place: Largest integer <= input elementwise; gradient 0.
        """
    def floor_divide(self, other: typing.Any) -> typing.Any:
        """
        floor(input / other) (Python's //); integer division by zero raises.
        """
    def fmod(self, other: typing.Any) -> typing.Any:
        """
        C's remainder of input / other (the sign of input); integer division by zero raises.
        """
    def frac(self) -> Tensor:
        """
        input - trunc(input) elementwise (float inputs only).
        """
    def frac_(self) -> typing.Any:
        """
        In place: input - trunc(input) elementwise (float inputs only).
        """
    def gather(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor) -> Tensor:
        """
        ember.gather(self, dim, index).
        """
    def ge(self, other: typing.Any) -> typing.Any:
        """
        input >= other elementwise, as a bool tensor.
        """
    def gelu(self, *, approximate: str = 'none') -> Tensor:
        """
        GELU elementwise: exact erf form (approximate='none') or the tanh approximation ('tanh').
        """
    def geometric_(self, p: float, *, generator: typing.Any = None) -> Tensor:
        """
        Fills the tensor with the number of Bernoulli(p) trials up to the first success (1, 2, ...).
        """
    def gt(self, other: typing.Any) -> typing.Any:
        """
        input > other elementwise, as a bool tensor.
        """
    def half(self, *args: typing.Any, **kwargs: typing.Any) -> Tensor:
        """
        float16 is not an ember dtype: a TypeError pointing at bfloat16.
        """
    def hypot(self, other: typing.Any) -> typing.Any:
        """
        sqrt(input**2 + other**2) elementwise, without overflow.
        """
    def index_add(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, source: Tensor, *, alpha: typing.Any = 1) -> Tensor:
        """
        A copy of input with alpha * source added at the positions index (1-D) gives along dim.
        """
    def index_add_(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, source: Tensor, *, alpha: typing.Any = 1) -> Tensor:
        """
        index_add written into self.
        """
    def index_copy(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, source: Tensor) -> Tensor:
        """
        A copy of input with source's slices copied to the positions index (1-D) gives along dim.
        """
    def index_copy_(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, source: Tensor) -> Tensor:
        """
        index_copy written into self.
        """
    def index_fill(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, value: typing.Any) -> Tensor:
        """
        A copy of input with value (a number or 0-d tensor) in the slices index (1-D) gives along dim.
        """
    def index_fill_(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, value: typing.Any) -> Tensor:
        """
        index_fill written into self.
        """
    def index_put_(self, indices: typing.Any, values: Tensor) -> Tensor:
        """
        self[indices] = values for a tuple of index tensors (``torch.Tensor.index_put_`` without accumulate).
        """
    def index_select(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor) -> Tensor:
        """
        ember.index_select(self, dim, index).
        """
    def int(self) -> Tensor:
        """
        Converts to int32.
        """
    def is_complex(self) -> bool:
        """
        False: ember has no complex dtypes.
        """
    def is_contiguous(self) -> bool:
        """
        True when the elements are row-major with no gaps.
        """
    def is_floating_point(self) -> bool:
        """
        True for float32 and float64 tensors.
        """
    def is_pinned(self, device: typing.Any = None) -> bool:
        """
        False: ember does not page-lock host memory.
        """
    def isclose(self, other: Tensor, rtol: typing.SupportsFloat | typing.SupportsIndex = 1e-05, atol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, equal_nan: bool = False) -> Tensor:
        """
        Elementwise ``|input - other| <= atol + rtol * |other|`` (equal values always, NaNs when equal_nan), as bool.
        """
    def isfinite(self) -> Tensor:
        """
        Elementwise: is input neither inf nor NaN, as a bool tensor.
        """
    def isinf(self) -> Tensor:
        """
        Elementwise: is input +inf or -inf, as a bool tensor.
        """
    def isnan(self) -> Tensor:
        """
        Elementwise: is input NaN, as a bool tensor.
        """
    def item(self) -> typing.Any:
        """
        The value of a one-element tensor as a Python number.
        """
    def kron(self, other: Tensor) -> Tensor:
        """
        The Kronecker product of input and other.
        """
    def kthvalue(self, k: typing.SupportsInt | typing.SupportsIndex, dim: typing.SupportsInt | typing.SupportsIndex = -1, keepdim: bool = False) -> typing.Any:
        """
        A named tuple (values, indices) of the k-th smallest element along dim.
        """
    def le(self, other: typing.Any) -> typing.Any:
        """
        input <= other elementwise, as a bool tensor.
        """
    def leaky_relu_(self, negative_slope: typing.SupportsFloat | typing.SupportsIndex = 0.01) -> Tensor:
        """
        leaky_relu written into the tensor.
        """
    def lerp(self, end: Tensor, weight: typing.Any) -> Tensor:
        """
        input + weight * (end - input), broadcast; weight a tensor or a number; floating inputs only.
        """
    def lerp_(self, end: Tensor, weight: typing.Any) -> Tensor:
        """
        In-place self += weight * (end - self); returns self.
        """
    def log(self) -> Tensor:
        """
        Natural logarithm elementwise.
        """
    def log10(self) -> Tensor:
        """
        Base-10 logarithm elementwise.
        """
    def log10_(self) -> typing.Any:
        """
        In place: Base-10 logarithm elementwise.
        """
    def log1p(self) -> Tensor:
        """
        log(1 + input) elementwise, accurate for small input.
        """
    def log1p_(self) -> typing.Any:
        """
        In place: log(1 + input) elementwise, accurate for small input.
        """
    def log2(self) -> Tensor:
        """
        Base-2 logarithm elementwise.
        """
    def log2_(self) -> typing.Any:
        """
        In place: Base-2 logarithm elementwise.
        """
    def log_(self) -> typing.Any:
        """
        In place: Natural logarithm elementwise.
        """
    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: typing.Any = None) -> Tensor:
        """
        Fills the tensor with exp(N(mean, std^2)) samples.
        """
    def log_softmax(self, dim: typing.Any, dtype: typing.Any = None) -> Tensor:
        """
        input - logsumexp(input) along dim, computed stably; floating inputs only (dtype converts first).
        """
    def logaddexp(self, other: typing.Any) -> typing.Any:
        """
        log(exp(input) + exp(other)) elementwise, without overflow.
        """
    def logcumsumexp(self, dim: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
        """
        log(cumsum(exp(input))) along dim, without overflow or underflow.
        """
    def logical_and(self, other: typing.Any) -> typing.Any:
        """
        (input != 0) and (other != 0) elementwise, as a bool tensor.
        """
    def logical_not(self) -> Tensor:
        """
        Elementwise input == 0, as a bool tensor.
        """
    def logical_or(self, other: typing.Any) -> typing.Any:
        """
        (input != 0) or (other != 0) elementwise, as a bool tensor.
        """
    def logical_xor(self, other: typing.Any) -> typing.Any:
        """
        (input != 0) xor (other != 0) elementwise, as a bool tensor.
        """
    @typing.overload
    def logit(self) -> Tensor:
        """
        log(input / (1 - input)) elementwise, the inverse of sigmoid.
        """
    @typing.overload
    def logit(self, eps: typing.Any) -> Tensor:
        """
        logit of the tensor clamped to [eps, 1 - eps] (eps None: unclamped).
        """
    def logit_(self) -> typing.Any:
        """
        In place: log(input / (1 - input)) elementwise, the inverse of sigmoid.
        """
    def logsumexp(self, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
        """
        log(sum(exp(input))) over dim (None: all dims), computed stably; integer inputs give float32.
        """
    def long(self) -> Tensor:
        """
        Converts to int64.
        """
    def lt(self, other: typing.Any) -> typing.Any:
        """
        input < other elementwise, as a bool tensor.
        """
    def masked_fill(self, mask: Tensor, value: typing.Any) -> Tensor:
        """
        A copy with value where mask (bool, broadcast) is true.
        """
    def masked_fill_(self, mask: Tensor, value: typing.Any) -> Tensor:
        """
        Sets the elements where mask (bool, broadcast to self) is true to value, in place.
        """
    def masked_scatter(self, mask: Tensor, source: Tensor) -> Tensor:
        """
        A copy of input whose elements where mask (bool, broadcast) is true take source's elements in order.
        """
    def masked_scatter_(self, mask: Tensor, source: Tensor) -> Tensor:
        """
        masked_scatter written into self (mask broadcast to self's shape).
        """
    def masked_select(self, mask: Tensor) -> Tensor:
        """
        The elements where mask (bool, broadcast with input) is true, as a 1-D tensor.
        """
    def matmul(self, other: Tensor) -> Tensor:
        """
        Matrix product with NumPy's rules (see ember.matmul).
        """
    def max(self, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
        """
        max(input): the largest element (0-d; NaN propagates). max(input, dim, keepdim=False): a named tuple (values, indices) along dim; ties give the first index. max(input, other): the elementwise maximum.
        """
    def maximum(self, other: typing.Any) -> typing.Any:
        """
        Elementwise maximum (NaN propagates), broadcast and type-promoted.
        """
    def mean(self, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
        """
        Mean over dim (None: all dims); floating inputs only (TypeError otherwise, pass dtype= to convert).
        """
    def median(self, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
        """
        The lower median of all elements (0-d), or along dim a named tuple (values, indices); NaN propagates.
        """
    def min(self, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
        """
        min(input): the smallest element (0-d; NaN propagates). min(input, dim, keepdim=False): a named tuple (values, indices) along dim; ties give the first index. min(input, other): the elementwise minimum.
        """
    def minimum(self, other: typing.Any) -> typing.Any:
        """
        Elementwise minimum (NaN propagates), broadcast and type-promoted.
        """
    def mm(self, mat2: Tensor) -> Tensor:
        """
        Product of two 2-D tensors.
        """
    def mode(self, dim: typing.SupportsInt | typing.SupportsIndex = -1, keepdim: bool = False) -> typing.Any:
        """
        A named tuple (values, indices) of the most frequent value along dim (the smallest on ties, with the index of its last occurrence).
        """
    def msort(self) -> Tensor:
        """
        input sorted along its first dim (the values of sort(input, 0)).
        """
    def mul(self, other: typing.Any) -> typing.Any:
        """
        input * other, broadcast and type-promoted.
        """
    def mul_(self, other: typing.Any) -> typing.Any:
        """
        ``self *= other`` in place; returns self.
        """
    def multinomial(self, num_samples: typing.SupportsInt | typing.SupportsIndex, replacement: bool = False, *, generator: typing.Any = None) -> Tensor:
        """
        num_samples category indices (int64) per row of the 1-D or 2-D non-negative weights input, drawn from ember's generator (ember.manual_seed).
        """
    def multiply(self, other: typing.Any) -> typing.Any:
        """
        Alias of mul.
        """
    def mv(self, vec: Tensor) -> Tensor:
        """
        The product of a 2-D input and a 1-D vec.
        """
    def nan_to_num(self, nan: typing.SupportsFloat | typing.SupportsIndex | None = 0.0, posinf: typing.SupportsFloat | typing.SupportsIndex | None = None, neginf: typing.SupportsFloat | typing.SupportsIndex | None = None) -> Tensor:
        """
        input with NaN, +inf and -inf replaced by nan, posinf and neginf (defaults: 0, the dtype's largest and lowest finite values).
        """
    def nanmean(self, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
        """
        Mean over dim (None: all dims) of the elements that are not NaN.
        """
    def nanmedian(self, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
        """
        median skipping NaN (NaN only for a row of NaN).
        """
    def nanquantile(self, q: typing.Any, dim: typing.Any = None, keepdim: bool = False, *, interpolation: str = 'linear') -> Tensor:
        """
        quantile ranking each row's numbers only (NaN skipped).
        """
    def nansum(self, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
        """
        Sum over dim (None: all dims) treating NaN as 0.
        """
    def narrow(self, dim: typing.SupportsInt | typing.SupportsIndex, start: typing.SupportsInt | typing.SupportsIndex, length: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
        """
        length elements from start along dim (a view).
        """
    def ndimension(self) -> int:
        """
        The number of dims (dim).
        """
    def ne(self, other: typing.Any) -> typing.Any:
        """
        input != other elementwise, as a bool tensor.
        """
    def neg(self) -> Tensor:
        """
        -input elementwise (TypeError for bool: use ~ or logical_not).
        """
    def neg_(self) -> typing.Any:
        """
        In place: -input elementwise (TypeError for bool: use ~ or logical_not).
        """
    def nelement(self) -> int:
        """
        The number of elements (numel).
        """
    def new_empty(self, *size: typing.Any, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
        """
        An uninitialised tensor of the given size, with this tensor's dtype and device unless given.
        """
    def new_full(self, size: typing.Any, fill_value: typing.Any, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
        """
        fill_value in the given size, with this tensor's dtype and device unless given.
        """
    def new_ones(self, *size: typing.Any, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
        """
        Ones of the given size, with this tensor's dtype and device unless given.
        """
    def new_tensor(self, data: typing.Any, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
        """
        A copy of data (a tensor, array or nested lists), with this tensor's dtype and device unless given.
        """
    def new_zeros(self, *size: typing.Any, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
        """
        Zeros of the given size, with this tensor's dtype and device unless given.
        """
    def nonzero(self, *, as_tuple: bool = False) -> typing.Any:
        """
        The indices of the nonzero elements, one row each (N, input.dim()) in row-major order; as_tuple: one 1-D tensor per dim.
        """
    def norm(self, p: typing.Any = 'fro', dim: typing.Any = None, keepdim: bool = False, dtype: typing.Any = None) -> Tensor:
        """
        The p-norm of input over dim (None: all dims): p 'fro' (default) is the 2-norm, a number the vector p-norm (inf: ``max |x|``); 'nuc' the nuclear norm (dim None: dims (0, 1)).
        """
    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: typing.Any = None) -> Tensor:
        """
        Fills the tensor with samples of N(mean, std^2).
        """
    def numel(self) -> int:
        """
        Number of elements.
        """
    def numpy(self, *, force: bool = False) -> numpy.ndarray:
        """
        A NumPy array sharing this tensor's memory (no copy); force=True detaches and copies a CUDA tensor to the host first.
        """
    def outer(self, vec2: Tensor) -> Tensor:
        """
        Outer product of two 1-D tensors.
        """
    def permute(self, *args) -> Tensor:
        """
        Reorders the dims (a view).
        """
    def pin_memory(self, device: typing.Any = None) -> Tensor:
        """
        self: ember's CPU tensors need no pinning for copies to a GPU (as DataLoader's pin_memory).
        """
    def pow(self, other: typing.Any) -> typing.Any:
        """
        input ** other (tensor or scalar on either side), broadcast and type-promoted.
        """
    def pow_(self, other: typing.Any) -> typing.Any:
        """
        ``self **= other`` in place; returns self.
        """
    def prod(self, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
        """
        Product over dim (None: all dims); bool/int inputs multiply in int64; dtype converts the input first.
        """
    def quantile(self, q: typing.Any, dim: typing.Any = None, keepdim: bool = False, *, interpolation: str = 'linear') -> Tensor:
        """
        The q-quantiles (q a number or 1-D tensor in [0, 1]) along dim (None: all elements); interpolation 'linear', 'lower', 'higher', 'nearest' or 'midpoint'; NaN propagates.
        """
    def rad2deg(self) -> Tensor:
        """
        Radians to degrees elementwise.
        """
    def rad2deg_(self) -> typing.Any:
        """
        In place: Radians to degrees elementwise.
        """
    def random_(self, low: int = 0, high: int | None = None, *, generator: typing.Any = None) -> Tensor:
        """
        Fills the tensor with integers drawn uniformly from [low, high) (random_(high) is [0, high)); with no
            bound, from [0, 2**mantissa] for floats and [0, max] for integers, as PyTorch.
        """
    def reciprocal(self) -> Tensor:
        """
        1 / input elementwise (integer inputs give float32).
        """
    def reciprocal_(self) -> typing.Any:
        """
        In place: 1 / input elementwise (integer inputs give float32).
        """
    def register_hook(self, hook: collections.abc.Callable) -> RemovableHandle:
        """
        Registers hook(grad) -> Tensor or None, called with the gradient w.r.t. this tensor each time it is computed; a returned tensor replaces the gradient. Returns a handle whose remove() unregisters it.
        """
    def register_post_accumulate_grad_hook(self, hook: collections.abc.Callable) -> RemovableHandle:
        """
        Registers hook(tensor), called on a leaf after backward accumulated its gradient into .grad. Returns a handle whose remove() unregisters it.
        """
    def relu(self) -> Tensor:
        """
        max(input, 0) elementwise; NaN stays NaN.
        """
    def relu_(self) -> typing.Any:
        """
        In place: max(input, 0) elementwise; NaN stays NaN.
        """
    def remainder(self, other: typing.Any) -> typing.Any:
        """
        Python's input % other (the sign of other); integer division by zero raises.
        """
    def repeat(self, *args, **kwargs) -> Tensor:
        """
        A new tensor repeating this one sizes[i] times along each dim (x.repeat(2, 3) or x.repeat((2, 3))).
        """
    def repeat_interleave(self, repeats: typing.Any = None, dim: typing.SupportsInt | typing.SupportsIndex | None = None, *, output_size: typing.SupportsInt | typing.SupportsIndex | None = None) -> Tensor:
        """
        Each element (or slice along dim) repeated repeats times.
        """
    def requires_grad_(self, requires_grad: bool = True) -> typing.Any:
        """
        Marks this leaf as needing its gradient; returns self.
        """
    def reshape(self, *args) -> Tensor:
        """
        view() when possible, else a contiguous copy with the new shape.
        """
    def reshape_as(self, other: Tensor) -> Tensor:
        """
        reshape() to other's shape.
        """
    def retain_grad(self) -> None:
        """
        Makes backward() fill .grad of this non-leaf tensor too.
        """
    def roll(self, shifts: typing.Any, dims: typing.Any = None) -> Tensor:
        """
        Elements shifted by shifts along dims with wrap-around (flattened when dims is None).
        """
    def rot90(self, k: typing.SupportsInt | typing.SupportsIndex = 1, dims: typing.Any = (0, 1)) -> Tensor:
        """
        Rotated by 90 degrees k times in the plane of dims.
        """
    @typing.overload
    def round(self) -> Tensor:
        """
        input rounded to the nearest integer, halves to even; gradient 0.
        """
    @typing.overload
    def round(self, *, decimals: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
        """
        The tensor rounded to decimals decimal places, halves to even.
        """
    def round_(self) -> typing.Any:
        """
        In place: input rounded to the nearest integer, halves to even; gradient 0.
        """
    def rsqrt(self) -> Tensor:
        """
        1 / sqrt(input) elementwise.
        """
    def rsqrt_(self) -> typing.Any:
        """
        In place: 1 / sqrt(input) elementwise.
        """
    def scatter(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, src: typing.Any = None, *, value: typing.Any = None, reduce: str | None = None) -> Tensor:
        """
        A copy of input with src's elements (or value) written along dim at index (int64, input's rank): out[i][index[i][j]] = src[i][j] for dim 1; reduce='add' or 'multiply' combines instead.
        """
    def scatter_(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, src: typing.Any = None, *, value: typing.Any = None, reduce: str | None = None) -> Tensor:
        """
        scatter written into self.
        """
    def scatter_add(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, src: Tensor) -> Tensor:
        """
        A copy of input with src's elements added along dim at index (repeated indices add up).
        """
    def scatter_add_(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, src: Tensor) -> Tensor:
        """
        scatter_add written into self.
        """
    def scatter_reduce(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:
        """
        A copy of input with src's elements reduced ('sum', 'prod', 'mean', 'amax', 'amin') into the positions index gives along dim; input's own values take part when include_self.
        """
    def scatter_reduce_(self, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:
        """
        scatter_reduce written into self.
        """
    def select(self, dim: typing.SupportsInt | typing.SupportsIndex, index: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
        """
        The slice at index along dim, with dim removed (a view).
        """
    def sigmoid(self) -> Tensor:
        """
        1 / (1 + exp(-input)) elementwise.
        """
    def sigmoid_(self) -> typing.Any:
        """
        In place: 1 / (1 + exp(-input)) elementwise.
        """
    def sign(self) -> Tensor:
        """
        -1, 0 or 1 by the sign of input (0 for NaN); gradient 0.
        """
    def sign_(self) -> typing.Any:
        """
        In place: -1, 0 or 1 by the sign of input (0 for NaN); gradient 0.
        """
    def signbit(self) -> Tensor:
        """
        Elementwise: is the sign bit of input set (true for -0.0), as a bool tensor.
        """
    def silu(self) -> Tensor:
        """
        input * sigmoid(input) elementwise.
        """
    def silu_(self) -> typing.Any:
        """
        In place: input * sigmoid(input) elementwise.
        """
    def sin(self) -> Tensor:
        """
        Sine elementwise.
        """
    def sin_(self) -> typing.Any:
        """
        In place: Sine elementwise.
        """
    def sinh(self) -> Tensor:
        """
        Hyperbolic sine elementwise.
        """
    def sinh_(self) -> typing.Any:
        """
        In place: Hyperbolic sine elementwise.
        """
    def size(self, dim: typing.SupportsInt | typing.SupportsIndex | None = None) -> typing.Any:
        """
        The shape, or the extent of one dim.
        """
    def softmax(self, dim: typing.Any, dtype: typing.Any = None) -> Tensor:
        """
        exp(input) / sum(exp(input)) along dim, computed stably; floating inputs only (dtype converts first).
        """
    def sort(self, dim: typing.SupportsInt | typing.SupportsIndex = -1, descending: bool = False, *, stable: bool = False) -> typing.Any:
        """
        A named tuple (values, indices) of input sorted along dim; NaN sorts as the largest value; the sort is always stable.
        """
    def split(self, split_size: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple:
        """
        Views of pieces along dim (split_size an int or a list of sizes).
        """
    def sqrt(self) -> Tensor:
        """
        Square root elementwise.
        """
    def sqrt_(self) -> typing.Any:
        """
        In place: Square root elementwise.
        """
    def square(self) -> Tensor:
        """
        input * input elementwise (integers stay integers).
        """
    def square_(self) -> typing.Any:
        """
        In place: input * input elementwise (integers stay integers).
        """
    def squeeze(self, dim: typing.Any = None) -> Tensor:
        """
        Removes dims of extent 1 (a view): all, one dim, or a tuple of dims.
        """
    def squeeze_(self, dim: typing.Any = None) -> Tensor:
        """
        The tensor itself made squeeze(dim) (not for tensors that require grad).
        """
    def std(self, dim: typing.Any = None, unbiased: typing.Any = None, keepdim: bool = False, *, correction: typing.Any = None) -> Tensor:
        """
        Standard deviation over dim (None: all dims) with divisor N - correction (default 1; unbiased=False means 0); floating inputs only.
        """
    def std_mean(self, dim: typing.Any = None, unbiased: typing.Any = None, keepdim: bool = False, *, correction: typing.Any = None) -> tuple[Tensor, Tensor]:
        """
        (std, mean) over dim, as std and mean give them.
        """
    def storage_offset(self) -> int:
        """
        Offset of element 0 in the storage, in elements.
        """
    def stride(self, dim: typing.SupportsInt | typing.SupportsIndex | None = None) -> typing.Any:
        """
        Strides in elements, or the stride of one dim.
        """
    @typing.overload
    def sub(self, other: typing.Any) -> typing.Any:
        """
        input - other, broadcast and type-promoted.
        """
    @typing.overload
    def sub(self, other: typing.Any, *, alpha: typing.Any) -> typing.Any:
        """
        self - alpha * other.
        """
    @typing.overload
    def sub_(self, other: typing.Any) -> typing.Any:
        """
        self -= other in place; returns self.
        """
    @typing.overload
    def sub_(self, other: typing.Any, *, alpha: typing.Any) -> typing.Any:
        """
        self -= alpha * other in place; returns self.
        """
    def subtract(self, other: typing.Any) -> typing.Any:
        """
        Alias of sub.
        """
    def sum(self, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
        """
        Sum over dim (None: all dims; an int or a tuple of ints); bool/int inputs sum to int64; dtype converts the input first.
        """
    def t(self) -> Tensor:
        """
        Transpose of a tensor with at most 2 dims.
        """
    def t_(self) -> Tensor:
        """
        The tensor itself made t() (not for tensors that require grad).
        """
    def take(self, index: Tensor) -> Tensor:
        """
        The elements at the flat (row-major) positions of index (int64; negative counts from the end).
        """
    def take_along_dim(self, indices: Tensor, dim: typing.Any = None) -> Tensor:
        """
        The elements at indices along dim (input and indices broadcast over the other dims); dim None: over the flattened input.
        """
    def tan(self) -> Tensor:
        """
        Tangent elementwise.
        """
    def tan_(self) -> typing.Any:
        """
        In place: Tangent elementwise.
        """
    def tanh(self) -> Tensor:
        """
        Hyperbolic tangent elementwise.
        """
    def tanh_(self) -> typing.Any:
        """
        In place: Hyperbolic tangent elementwise.
        """
    def tensor_split(self, indices_or_sections: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple:
        """
        Views along dim: nearly equal pieces (an int) or pieces split before each index (a list).
        """
    def tile(self, *args, **kwargs) -> Tensor:
        """
        repeat with dims padded by leading 1s to this tensor's rank.
        """
    def to(self, dtype_or_device: typing.Any = None, arg1: typing.Any = None, arg2: typing.Any = None, *, device: typing.Any = None, dtype: typing.Any = None, non_blocking: bool = False, copy: bool = False) -> Tensor:
        """
        A tensor converted to another dtype and/or device, or to another tensor's (self when nothing changes).
        """
    def tolist(self) -> typing.Any:
        """
        The elements as (nested) Python lists; a number for a 0-d tensor.
        """
    def topk(self, k: typing.SupportsInt | typing.SupportsIndex, dim: typing.SupportsInt | typing.SupportsIndex = -1, largest: bool = True, sorted: bool = True) -> typing.Any:
        """
        A named tuple (values, indices) of the k largest (largest=False: smallest) elements along dim, in sorted order.
        """
    def trace(self) -> Tensor:
        """
        The sum of a 2-D input's main diagonal (integers sum in int64).
        """
    def transpose(self, dim0: typing.SupportsInt | typing.SupportsIndex, dim1: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
        """
        Swaps two dims (a view).
        """
    def transpose_(self, dim0: int, dim1: int) -> Tensor:
        """
        The tensor itself made transpose(dim0, dim1) (not for tensors that require grad).
        """
    def tril(self, diagonal: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
        """
        The lower triangle of the last two dims (column - row <= diagonal), the rest zero.
        """
    def tril_(self, diagonal: typing.SupportsInt | typing.SupportsIndex = 0) -> typing.Any:
        """
        tril written into self; returns self.
        """
    def triu(self, diagonal: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
        """
        The upper triangle of the last two dims (column - row >= diagonal), the rest zero.
        """
    def triu_(self, diagonal: typing.SupportsInt | typing.SupportsIndex = 0) -> typing.Any:
        """
        triu written into self; returns self.
        """
    def true_divide(self, other: typing.Any) -> typing.Any:
        """
        Alias of div.
        """
    def trunc(self) -> Tensor:
        """
        input rounded toward zero elementwise; gradient 0.
        """
    def trunc_(self) -> typing.Any:
        """
        In place: input rounded toward zero elementwise; gradient 0.
        """
    def type(self, dtype: typing.Any) -> Tensor:
        """
        Converts to dtype.
        """
    def type_as(self, other: Tensor) -> Tensor:
        """
        Converts to other's dtype.
        """
    def unbind(self, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple:
        """
        A tuple of the slices along dim (views).
        """
    def unfold(self, dimension: typing.SupportsInt | typing.SupportsIndex, size: typing.SupportsInt | typing.SupportsIndex, step: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
        """
        The windows of `size` elements, `step` apart, along `dimension`, as a view with the window elements in a new last dim (overlapping windows are read-only).
        """
    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: typing.Any = None) -> Tensor:
        """
        Fills the tensor with samples of U(a, b).
        """
    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim: typing.Any = None) -> typing.Any:
        """
        The distinct elements of input (dim: the distinct slices along dim) in ascending order; with return_inverse / return_counts a tuple that adds the inverse indices / the counts.
        """
    def unsqueeze(self, dim: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
        """
        Inserts a dim of extent 1 (a view).
        """
    def unsqueeze_(self, dim: int) -> Tensor:
        """
        The tensor itself made unsqueeze(dim) (not for tensors that require grad).
        """
    def var(self, dim: typing.Any = None, unbiased: typing.Any = None, keepdim: bool = False, *, correction: typing.Any = None) -> Tensor:
        """
        Variance over dim (None: all dims) with divisor N - correction (default 1; unbiased=False means 0); floating inputs only.
        """
    def var_mean(self, dim: typing.Any = None, unbiased: typing.Any = None, keepdim: bool = False, *, correction: typing.Any = None) -> tuple[Tensor, Tensor]:
        """
        (var, mean) over dim, as var and mean give them.
        """
    def vdot(self, other: Tensor) -> Tensor:
        """
        The dot product of two 1-D tensors (for real tensors, dot).
        """
    def view(self, *args) -> Tensor:
        """
        A view with a new shape (one dim may be -1); the strides must allow it.
        """
    def view_as(self, other: Tensor) -> Tensor:
        """
        view() with other's shape.
        """
    def where(self, condition: Tensor, other: typing.Any) -> Tensor:
        """
        condition ? self : other elementwise.
        """
    def xlogy(self, other: typing.Any) -> typing.Any:
        """
        input * log(other) elementwise, 0 where input == 0 (unless other is NaN).
        """
    def zero_(self) -> Tensor:
        """
        Sets every element to zero, in place.
        """
    @property
    def T(self) -> Tensor:
        """
        All dims reversed (a view).
        """
    @property
    def _version(self) -> int:
        """
        How many in-place writes this tensor's memory has seen.
        """
    @property
    def data(self) -> Tensor:
        """
        The elements without autograd: a detached alias (in-place writes reach this tensor). Setting it makes this tensor view another tensor's elements (same dtype and device).
        """
    @data.setter
    def data(self, arg1: Tensor) -> None:
        ...
    @property
    def device(self) -> device:
        """
        The device the elements live on.
        """
    @property
    def dtype(self) -> numpy.dtype[typing.Any]:
        """
        The element type.
        """
    @property
    def grad(self) -> typing.Any:
        """
        The gradient backward() accumulated, or None.
        """
    @grad.setter
    def grad(self, arg1: typing.Any) -> None:
        ...
    @property
    def grad_fn(self) -> Node:
        """
        The node that made this tensor (None for leaves).
        """
    @property
    def is_cpu(self) -> bool:
        """
        Whether the tensor lives on the CPU.
        """
    @property
    def is_cuda(self) -> bool:
        """
        Whether the tensor lives on a CUDA device.
        """
    @property
    def is_leaf(self) -> bool:
        """
        True unless a recorded op made this tensor.
        """
    @property
    def is_meta(self) -> bool:
        """
        False: ember has no meta tensors.
        """
    @property
    def is_mps(self) -> bool:
        """
        False: ember has no MPS backend.
        """
    @property
    def is_xpu(self) -> bool:
        """
        False: ember has no XPU backend.
        """
    @property
    def mT(self) -> Tensor:
        """
        The last two dims swapped (a view).
        """
    @property
    def ndim(self) -> int:
        """
        Number of dims.
        """
    @property
    def requires_grad(self) -> bool:
        """
        Whether gradients flow to this tensor (settable on leaves).
        """
    @requires_grad.setter
    def requires_grad(self, arg1: bool) -> None:
        ...
    @property
    def retains_grad(self) -> bool:
        """
        True when backward() fills .grad of this non-leaf tensor.
        """
    @property
    def shape(self) -> typing.Any:
        """
        The extent of each dim, as an ember.Size (a tuple).
        """
class dtype:
    """
    An element type: ember.float32, ember.int64, ...
    """
    def __eq__(self: numpy.dtype[typing.Any], arg0: typing.Any) -> bool:
        ...
    def __getstate__(self: numpy.dtype[typing.Any]) -> str:
        ...
    def __hash__(self: numpy.dtype[typing.Any]) -> int:
        ...
    def __repr__(self: numpy.dtype[typing.Any]) -> str:
        ...
    def __setstate__(self: numpy.dtype[typing.Any], arg0: str) -> None:
        ...
    def __str__(self: numpy.dtype[typing.Any]) -> str:
        ...
    @property
    def is_floating_point(self) -> bool:
        ...
    @property
    def itemsize(self) -> int:
        ...
class device:
    """
    Where a tensor lives: ember.device('cpu'), ember.device('cuda:0').
    """
    def __eq__(self, arg0: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    @typing.overload
    def __init__(self, type: str) -> None:
        ...
    @typing.overload
    def __init__(self, type: str, index: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def index(self) -> typing.Any:
        ...
    @property
    def type(self) -> str:
        ...
class Generator:
    """
    A seedable source of random numbers for rand, randn, randint.
    """
    def __init__(self, device: typing.Any = 'cpu') -> None:
        ...
    def get_state(self) -> Tensor:
        """
        The stream's position as a uint8 tensor, for set_state.
        """
    def initial_seed(self) -> int:
        """
        The seed the stream started from.
        """
    def manual_seed(self, seed: typing.Any) -> Generator:
        """
        Restarts the stream from seed; returns self.
        """
    def seed(self) -> int:
        """
        Seeds the stream from a non-deterministic source; returns the seed.
        """
    def set_state(self, new_state: Tensor) -> Generator:
        """
        Continues the stream from a state get_state returned (anything else is a ValueError); returns self.
        """
class GradcheckError(RuntimeError):
    pass
class Node:
    """
    A recorded op of the autograd graph (Tensor.grad_fn).
    """
    def __repr__(self) -> str:
        ...
    def name(self) -> str:
        """
        The op's backward name, e.g. 'MulBackward'.
        """
    @property
    def next_functions(self) -> tuple:
        """
        ((node or None, 0), ...): where the gradient of each input goes.
        """
class CheckpointError(ValueError):
    """
    A checkpoint file that is truncated, corrupt or not safetensors.
    """
class DeployedModel:
    """
    A model loaded from a .ember file, run for inference in C++.
    """
    def __call__(self, *args) -> typing.Any:
        """
        Same as forward.
        """
    def __repr__(self) -> str:
        ...
    def forward(self, *args) -> typing.Any:
        """
        Runs the graph on the inputs: a Tensor, or a tuple for several outputs.
        """
    @property
    def input_names(self) -> list[str]:
        """
        The graph inputs' names.
        """
    @property
    def ops(self) -> list[str]:
        """
        The op of each step after fusion, e.g. 'conv2d+batch_norm+relu'.
        """
    @property
    def output_names(self) -> list[str]:
        """
        The graph outputs' names.
        """
class RemovableHandle:
    """
    Returned by register_hook: remove() unregisters the hook.
    """
    def __enter__(self) -> typing.Any:
        ...
    def __exit__(self, *args) -> None:
        ...
    def remove(self) -> None:
        """
        Unregisters the hook (again: nothing).
        """
def _adadelta_step(param: Tensor, grad: Tensor, square_avg: Tensor, acc_delta: Tensor, lr: typing.SupportsFloat | typing.SupportsIndex, rho: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, maximize: bool) -> None:
    """
    One Adadelta update of param and its running averages in place.
    """
def _adagrad_step(param: Tensor, grad: Tensor, sum: Tensor, step: typing.SupportsInt | typing.SupportsIndex, lr: typing.SupportsFloat | typing.SupportsIndex, lr_decay: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, maximize: bool) -> None:
    """
    One Adagrad update of param and its sum of squared gradients in place.
    """
def _adam_step(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, max_exp_avg_sq: typing.Any, step: typing.SupportsInt | typing.SupportsIndex, lr: typing.SupportsFloat | typing.SupportsIndex, beta1: typing.SupportsFloat | typing.SupportsIndex, beta2: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, amsgrad: bool, decoupled_weight_decay: bool, maximize: bool) -> None:
    """
    One Adam (AdamW when decoupled_weight_decay) update of param and its moment estimates in place.
    """
def _adamax_step(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_inf: Tensor, step: typing.SupportsInt | typing.SupportsIndex, lr: typing.SupportsFloat | typing.SupportsIndex, beta1: typing.SupportsFloat | typing.SupportsIndex, beta2: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, maximize: bool) -> None:
    """
    One Adamax update of param and its moment estimates in place.
    """
def _affine_grid(theta: Tensor, size: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], align_corners: bool = False) -> Tensor:
    """
    The sampling grid (N, H, W, 2) of affine maps theta (N, 2, 3) (ember.nn.functional.affine_grid).
    """
def _autocast_bf16() -> bool:
    """
    True when this thread's float32 products and convolutions compute in bfloat16 (ember.autocast).
    """
def _backward(tensors: typing.Any, grad_tensors: typing.Any = None, retain_graph: bool = False) -> None:
    """
    Accumulates the gradients of tensors into the leaves' .grad.
    """
def _check_batch_norm_input(shape: typing.Any, num_features: typing.SupportsInt | typing.SupportsIndex, layer: str) -> None:
    """
    ember::nn::BatchNorm1d/2d's check of the input's shape (a shape, so that export does not trace it).
    """
def _check_conv1d_layer(arg0: typing.SupportsInt | typing.SupportsIndex, arg1: typing.SupportsInt | typing.SupportsIndex, arg2: typing.Any, arg3: typing.Any, arg4: typing.Any, arg5: typing.Any, arg6: typing.SupportsInt | typing.SupportsIndex, arg7: str) -> None:
    """
    ember::nn::Conv1d's constructor checks.
    """
def _check_conv2d_layer(in_channels: typing.SupportsInt | typing.SupportsIndex, out_channels: typing.SupportsInt | typing.SupportsIndex, kernel_size: typing.Any, stride: typing.Any, padding: typing.Any, dilation: typing.Any, groups: typing.SupportsInt | typing.SupportsIndex, padding_mode: str) -> None:
    """
    ember::nn::Conv2d's constructor checks.
    """
def _check_conv_transpose_layer(arg0: typing.SupportsInt | typing.SupportsIndex, arg1: typing.SupportsInt | typing.SupportsIndex, arg2: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg3: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg4: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg5: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg6: typing.SupportsInt | typing.SupportsIndex, arg7: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg8: str, arg9: str) -> None:
    """
    ember::nn::ConvTranspose1d/2d's constructor checks.
    """
def _check_dropout_probability(p: typing.SupportsFloat | typing.SupportsIndex, layer: str) -> None:
    """
    The dropout op's and ember::nn::Dropout's check of p.
    """
def _check_group_norm(num_groups: typing.SupportsInt | typing.SupportsIndex, num_channels: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    GroupNorm's constructor check: ValueError unless num_channels is divisible by num_groups > 0.
    """
def _check_hardtanh(name: str, min_val: typing.SupportsFloat | typing.SupportsIndex, max_val: typing.SupportsFloat | typing.SupportsIndex) -> None:
    """
    Hardtanh's constructor check (name: the layer's class): ValueError unless max_val > min_val.
    """
def _check_instance_norm_input(shape: typing.Any, num_features: typing.SupportsInt | typing.SupportsIndex, affine: bool, layer: str) -> bool:
    """
    ember::nn::InstanceNorm1d/2d's check of the input's shape; True when it is unbatched.
    """
def _check_multihead_attention_layer(embed_dim: typing.SupportsInt | typing.SupportsIndex, num_heads: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    ember::nn::MultiheadAttention's constructor checks.
    """
def _check_multihead_attention_query(shape: typing.Any, embed_dim: typing.SupportsInt | typing.SupportsIndex, num_heads: typing.SupportsInt | typing.SupportsIndex, batch_first: bool) -> None:
    """
    ember::nn::MultiheadAttention's check of the query's shape (a shape, so that export does not trace it).
    """
def _check_prelu(num_parameters: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    PReLU's constructor check: ValueError unless num_parameters >= 1.
    """
def _check_pretrained_embeddings(shape: typing.Any) -> None:
    """
    ember::nn::Embedding::from_pretrained's check of the embeddings' shape.
    """
def _check_rnn(name: str, input_size: typing.SupportsInt | typing.SupportsIndex, hidden_size: typing.SupportsInt | typing.SupportsIndex, num_layers: typing.SupportsInt | typing.SupportsIndex, dropout: typing.SupportsFloat | typing.SupportsIndex, proj_size: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    The constructor checks of RNN/LSTM/GRU (name: the layer's class): ValueError for a bad value, NotImplementedError for proj_size != 0.
    """
def _check_transformer_inputs(src_shape: typing.Any, tgt_shape: typing.Any, d_model: typing.SupportsInt | typing.SupportsIndex, batch_first: bool) -> None:
    """
    ember::nn::Transformer's check of src and tgt shapes.
    """
def _check_transformer_layer(layer: str, d_model: typing.SupportsInt | typing.SupportsIndex, nhead: typing.SupportsInt | typing.SupportsIndex, dim_feedforward: typing.SupportsInt | typing.SupportsIndex, activation: str) -> None:
    """
    ember::nn::TransformerEncoderLayer's / TransformerDecoderLayer's constructor checks.
    """
def _conv2d_padding(kernel_size: typing.Any, stride: typing.Any, padding: typing.Any, dilation: typing.Any) -> tuple[typing.Annotated[list[int], "FixedSize(2)"], typing.Annotated[list[bool], "FixedSize(2)"]]:
    """
    conv2d's padding as ((pad_h, pad_w), (crop_h, crop_w)): the symmetric padding it computes with, and whether it then drops the first output row / column (export spells 'same' out with these).
    """
def _conv_transpose_output_padding(arg0: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg1: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], arg2: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg3: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg4: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg5: typing.Annotated[collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], "FixedSize(2)"], arg6: typing.SupportsInt | typing.SupportsIndex, arg7: str) -> typing.Annotated[list[int], "FixedSize(2)"]:
    """
    The output_padding that gives a ConvTranspose layer's output the size output_size (torch's forward(x, output_size)).
    """
def _deploy_fold_batch_norm(weight: Tensor, bias: Tensor | None, mean: Tensor, var: Tensor, gamma: Tensor | None, beta: Tensor | None, eps: typing.SupportsFloat | typing.SupportsIndex) -> tuple[Tensor, Tensor]:
    """
    A convolution's (weight, bias) with an eval batch_norm folded in: the fold the C++ runtime does at load.
    """
def _deploy_format_version(op: str) -> int:
    """
    The .ember format version that introduced a deploy op (the file declares the largest over its nodes).
    """
def _deploy_load(path: str) -> DeployedModel:
    """
    Loads a .ember file written by ember.deploy.export.
    """
def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None = None, size: typing.SupportsInt | typing.SupportsIndex | None = None) -> bool:
    """
    Whether a Transformer layer treats mask as causal (is_causal if given, else whether mask is the causal mask).
    """
def _embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, mode: str = 'mean', per_sample_weights: Tensor | None = None, include_last_offset: bool = False, padding_idx: typing.SupportsInt | typing.SupportsIndex | None = None) -> Tensor:
    """
    The sum, mean or max of bags of rows of weight picked by input (2-d: a bag per row; 1-d: bags start at offsets): ``(bags, embedding_dim)``.
    """
def _embedding_padding_idx(num_embeddings: typing.SupportsInt | typing.SupportsIndex, embedding_dim: typing.SupportsInt | typing.SupportsIndex, padding_idx: typing.SupportsInt | typing.SupportsIndex | None) -> int | None:
    """
    ember::nn::Embedding's checks; padding_idx counted from the start.
    """
def _fashion_mnist_default_root() -> str:
    """
    Where Debian's dataset-fashion-mnist installs Fashion-MNIST.
    """
def _fold(input: Tensor, output_size: typing.Any, kernel_size: typing.Any, dilation: typing.Any = 1, padding: typing.Any = 0, stride: typing.Any = 1) -> Tensor:
    """
    Columns (N, C * kh * kw, L) back into blocks of (N, C, H, W), overlaps summed.
    """
def _grad(outputs: typing.Any, inputs: typing.Any, grad_outputs: typing.Any = None, retain_graph: bool = False, allow_unused: bool = False) -> tuple:
    """
    Gradients of outputs with respect to inputs, without touching .grad.
    """
def _grad_accumulator(tensor: Tensor) -> Node:
    ...
def _gradcheck(fn: collections.abc.Callable, inputs: typing.Any, eps: typing.SupportsFloat | typing.SupportsIndex, atol: typing.SupportsFloat | typing.SupportsIndex, rtol: typing.SupportsFloat | typing.SupportsIndex) -> bool:
    """
    Checks fn's gradients at inputs against central finite differences (float64).
    """
def _grid_sample(input: Tensor, grid: Tensor, mode: str = 'bilinear', padding_mode: str = 'zeros', align_corners: bool = False) -> Tensor:
    """
    Samples input (N, C, H, W) at grid (N, H_out, W_out, 2) (ember.nn.functional.grid_sample).
    """
def _gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """
    One GRU step (gates r, z, n), as torch.gru_cell.
    """
def _gumbel_softmax(logits: Tensor, tau: typing.SupportsFloat | typing.SupportsIndex = 1.0, hard: bool = False, dim: typing.SupportsInt | typing.SupportsIndex = -1) -> Tensor:
    """
    A Gumbel-softmax sample over dim (one-hot in the forward with hard, the soft sample's gradient); the noise comes from ember's generator.
    """
def _host_cache_bytes() -> int:
    """
    Bytes of freed large CPU tensors kept for reuse, for tests.
    """
def _implicit_softmax_dim(ndim: typing.SupportsInt | typing.SupportsIndex) -> int:
    """
    The dim softmax picks when none is given (PyTorch's deprecated implicit choice).
    """
def _init_dirac_(tensor: typing.Any, groups: typing.SupportsInt | typing.SupportsIndex = 1) -> typing.Any:
    ...
def _init_eye_(tensor: typing.Any) -> typing.Any:
    ...
def _init_orthogonal_(tensor: typing.Any, gain: typing.SupportsFloat | typing.SupportsIndex = 1.0, generator: typing.Any = None) -> typing.Any:
    ...
def _init_sparse_(tensor: typing.Any, sparsity: typing.SupportsFloat | typing.SupportsIndex, std: typing.SupportsFloat | typing.SupportsIndex = 0.01, generator: typing.Any = None) -> typing.Any:
    ...
def _init_trunc_normal_(tensor: typing.Any, mean: typing.SupportsFloat | typing.SupportsIndex, std: typing.SupportsFloat | typing.SupportsIndex, a: typing.SupportsFloat | typing.SupportsIndex, b: typing.SupportsFloat | typing.SupportsIndex, generator: typing.Any = None) -> typing.Any:
    ...
def _interpolate(input: Tensor, size: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], scale_factor: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], mode: str = 'nearest', align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> Tensor:
    """
    Resizes the spatial dims of input (N, C, L) or (N, C, H, W) (ember.nn.functional.interpolate).
    """
def _is_anomaly_enabled() -> bool:
    """
    True when backward checks its gradients for NaN.
    """
def _load_mnist(root: str, train: bool, name: str = 'FashionMNIST') -> tuple[Tensor, Tensor]:
    """
    (images uint8 (N, rows, cols), labels int64 (N,)) of an MNIST-format split under root ('' for Debian's Fashion-MNIST).
    """
def _load_safetensors(path: str) -> tuple[typing.Any, typing.Any]:
    """
    Reads a safetensors file: ([(name, tensor), ...] in header order, {str: str} metadata).
    """
def _lstm_cell(input: Tensor, hx: Tensor, cx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """
    One LSTM step (gates i, f, g, o): (h', c'), as torch.lstm_cell.
    """
def _nadam_step(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, step: typing.SupportsInt | typing.SupportsIndex, mu_product: typing.SupportsFloat | typing.SupportsIndex, lr: typing.SupportsFloat | typing.SupportsIndex, beta1: typing.SupportsFloat | typing.SupportsIndex, beta2: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, momentum_decay: typing.SupportsFloat | typing.SupportsIndex, decoupled_weight_decay: bool, maximize: bool) -> float:
    """
    One NAdam update of param and its moment estimates in place; returns the new mu_product.
    """
def _node_key(node: Node) -> int:
    ...
def _pad(input: Tensor, pad: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], mode: str = 'constant', value: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> Tensor:
    """
    Pads the last len(pad) / 2 dims of input (ember.nn.functional.pad).
    """
def _primitive_cache_stats() -> tuple[int, int]:
    """
    (hits, misses) of ember's oneDNN primitive cache, for tests and benchmarks.
    """
def _radam_step(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, step: typing.SupportsInt | typing.SupportsIndex, lr: typing.SupportsFloat | typing.SupportsIndex, beta1: typing.SupportsFloat | typing.SupportsIndex, beta2: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, decoupled_weight_decay: bool, maximize: bool) -> None:
    """
    One RAdam update of param and its moment estimates in place.
    """
def _read_idx(path: str) -> Tensor:
    """
    Reads an IDX file (plain or gzip-compressed) as a uint8 tensor shaped as its header says.
    """
def _record_function(name: str, output: Tensor, inputs: collections.abc.Sequence[Tensor], backward: collections.abc.Callable) -> Tensor:
    ...
def _rmsprop_step(param: Tensor, grad: Tensor, square_avg: Tensor, grad_avg: typing.Any, momentum_buffer: typing.Any, lr: typing.SupportsFloat | typing.SupportsIndex, alpha: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, momentum: typing.SupportsFloat | typing.SupportsIndex, centered: bool, maximize: bool) -> None:
    """
    One RMSprop update of param and its running averages in place.
    """
def _rnn(mode: str, input: Tensor, hx: Tensor | None, cx: Tensor | None, params: collections.abc.Sequence[Tensor], has_biases: bool, num_layers: typing.SupportsInt | typing.SupportsIndex, dropout: typing.SupportsFloat | typing.SupportsIndex, train: bool, bidirectional: bool, batch_first: bool) -> tuple:
    """
    (output, h_n, c_n or None) of a multi-layer RNN_TANH / RNN_RELU / LSTM / GRU over a padded input (T, B, I), (B, T, I) batch_first or (T, I); params are PyTorch's flat weights.
    """
def _rnn_nonlinearity_mode(name: str, nonlinearity: str) -> str:
    """
    'RNN_TANH' or 'RNN_RELU' for an RNN or RNNCell's nonlinearity 'tanh' or 'relu'; ValueError otherwise.
    """
def _rnn_packed(mode: str, data: Tensor, batch_sizes: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], hx: Tensor | None, cx: Tensor | None, params: collections.abc.Sequence[Tensor], has_biases: bool, num_layers: typing.SupportsInt | typing.SupportsIndex, dropout: typing.SupportsFloat | typing.SupportsIndex, train: bool, bidirectional: bool) -> tuple:
    """
    (output (N, D*H), h_n, c_n or None) of the multi-layer recurrence over packed data (N, I) with its batch_sizes (sorted order).
    """
def _rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """
    One Elman step: relu(input w_ih^T + b_ih + hx w_hh^T + b_hh).
    """
def _rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """
    One Elman step: tanh(input w_ih^T + b_ih + hx w_hh^T + b_hh).
    """
def _save_safetensors(path: str, tensors: collections.abc.Sequence[tuple[str, Tensor]], metadata: collections.abc.Mapping[str, str]) -> None:
    """
    Writes [(name, tensor), ...] and {str: str} metadata to path as safetensors, atomically.
    """
def _set_autocast_bf16(on: bool) -> bool:
    """
    Sets this thread's autocast state and returns the previous one (ember.autocast).
    """
def _set_detect_anomaly(mode: bool) -> None:
    """
    Turns anomaly detection on or off (process-wide).
    """
def _set_grad_enabled(mode: bool) -> None:
    """
    Turns gradient recording on or off (this thread).
    """
def _set_size_type(type: typing.Any) -> None:
    """
    The class that .shape and .size() return (ember.Size).
    """
def _sgd_step(param: Tensor, grad: Tensor, momentum_buffer: typing.Any, lr: typing.SupportsFloat | typing.SupportsIndex, momentum: typing.SupportsFloat | typing.SupportsIndex, dampening: typing.SupportsFloat | typing.SupportsIndex, weight_decay: typing.SupportsFloat | typing.SupportsIndex, nesterov: bool, maximize: bool) -> typing.Any:
    """
    One SGD update of param in place; returns the momentum buffer (created on the first step) or None.
    """
def _sgemm(a: Tensor, b: Tensor) -> Tensor:
    """
    For benchmarks only: a @ b by oneDNN's dnnl_sgemm on contiguous 2-D float32 tensors, with no checks beyond shapes, no caching and no broadcasting: the peak ember's matmul is measured against.
    """
def _to_numpy(tensor: Tensor) -> numpy.ndarray:
    ...
def _unflatten_shape(shape: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex, unflattened_size: typing.Any) -> tuple:
    """
    ember::nn::Unflatten's output shape (and checks) for an input of this shape.
    """
def _unfold(input: Tensor, kernel_size: typing.Any, dilation: typing.Any = 1, padding: typing.Any = 0, stride: typing.Any = 1) -> Tensor:
    """
    The sliding blocks of an (N, C, H, W) input as columns: (N, C * kh * kw, L).
    """
def abs(input: Tensor) -> Tensor:
    """
    ``|input|`` elementwise.
    """
def abs_(input: typing.Any) -> typing.Any:
    """
    In place: ``|input|`` elementwise.
    """
def acos(input: Tensor) -> Tensor:
    """
    Arccosine elementwise.
    """
def acos_(input: typing.Any) -> typing.Any:
    """
    In place: Arccosine elementwise.
    """
def acosh(input: Tensor) -> Tensor:
    """
    Inverse hyperbolic cosine elementwise.
    """
def acosh_(input: typing.Any) -> typing.Any:
    """
    In place: Inverse hyperbolic cosine elementwise.
    """
def adaptive_avg_pool1d(input: Tensor, output_size: typing.Any) -> Tensor:
    """
    The mean over output_size windows that tile input (N, C, L) or (C, L) as evenly as possible.
    """
def adaptive_avg_pool2d(input: Tensor, output_size: typing.Any) -> Tensor:
    """
    The mean over output_size windows that tile input (N, C, H, W) or (C, H, W) as evenly as possible.
    """
def adaptive_max_pool1d(input: Tensor, output_size: typing.Any) -> Tensor:
    """
    The maximum over output_size windows that tile input (N, C, L) or (C, L) as evenly as possible.
    """
def adaptive_max_pool2d(input: Tensor, output_size: typing.Any) -> Tensor:
    """
    The maximum over output_size windows that tile input (N, C, H, W) or (C, H, W) as evenly as possible.
    """
@typing.overload
def add(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input + other, broadcast and type-promoted (bool + bool is logical or).
    """
@typing.overload
def add(input: typing.Any, other: typing.Any, *, alpha: typing.Any) -> typing.Any:
    """
    input + alpha * other.
    """
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
    """
    beta * input + alpha * the sum over the batch of bmm(batch1, batch2); input broadcasts to the (n, p) result.
    """
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
    """
    input + value * tensor1 / tensor2, broadcast; floating inputs only.
    """
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
    """
    input + value * tensor1 * tensor2, broadcast.
    """
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
    """
    beta * input + alpha * (mat1 @ mat2) for 2-D mat1 and mat2; input broadcasts to the product's shape.
    """
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
    """
    beta * input + alpha * (mat @ vec) for a 2-D mat and a 1-D vec; input broadcasts to the product's shape.
    """
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
    """
    beta * input + alpha * outer(vec1, vec2) for 1-D vectors; input broadcasts to the product's shape.
    """
def all(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
    """
    Whether every element over dim (None: all dims) is non-zero, as a bool tensor.
    """
def allclose(input: Tensor, other: Tensor, rtol: typing.SupportsFloat | typing.SupportsIndex = 1e-05, atol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, equal_nan: bool = False) -> bool:
    """
    Whether isclose(input, other, rtol, atol, equal_nan) holds everywhere, as a Python bool.
    """
def amax(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
    """
    Largest element over dim (None: all dims); NaN propagates; an empty reduced dim is an IndexError.
    """
def amin(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
    """
    Smallest element over dim (None: all dims); NaN propagates; an empty reduced dim is an IndexError.
    """
def aminmax(input: Tensor, *, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
    """
    A named tuple (min, max) of the smallest and largest elements over dim (None: all dims).
    """
def any(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
    """
    Whether some element over dim (None: all dims) is non-zero, as a bool tensor.
    """
def arange(start: typing.Any, end: typing.Any = None, step: typing.Any = None, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    Values from start (default 0) below end, spaced by step; int64 when all arguments are ints.
    """
def argmax(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
    """
    Index (int64) of the largest element along dim, or of the flattened input when dim is None; ties give the first index, the first NaN wins.
    """
def argmin(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
    """
    Index (int64) of the smallest element along dim, or of the flattened input when dim is None; ties give the first index, the first NaN wins.
    """
def argsort(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """
    The indices (int64) that sort input along dim (the indices of sort).
    """
def argwhere(input: Tensor) -> Tensor:
    """
    The indices of the nonzero elements, one row each (as nonzero).
    """
def asin(input: Tensor) -> Tensor:
    """
    Arcsine elementwise.
    """
def asin_(input: typing.Any) -> typing.Any:
    """
    In place: Arcsine elementwise.
    """
def asinh(input: Tensor) -> Tensor:
    """
    Inverse hyperbolic sine elementwise.
    """
def asinh_(input: typing.Any) -> typing.Any:
    """
    In place: Inverse hyperbolic sine elementwise.
    """
def atan(input: Tensor) -> Tensor:
    """
    Arctangent elementwise.
    """
def atan2(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    Arctangent of input / other elementwise, in the quadrant of (other, input).
    """
def atan_(input: typing.Any) -> typing.Any:
    """
    In place: Arctangent elementwise.
    """
def atanh(input: Tensor) -> Tensor:
    """
    Inverse hyperbolic tangent elementwise.
    """
def atanh_(input: typing.Any) -> typing.Any:
    """
    In place: Inverse hyperbolic tangent elementwise.
    """
def avg_pool1d(input: Tensor, kernel_size: typing.Any, stride: typing.Any = None, padding: typing.Any = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """
    The mean over each kernel_size window of input (N, C, L) or (C, L); stride defaults to kernel_size.
    """
def avg_pool2d(input: Tensor, kernel_size: typing.Any, stride: typing.Any = None, padding: typing.Any = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """
    The mean over each kernel_size window of input (N, C, H, W) or (C, H, W); stride defaults to kernel_size.
    """
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
    """
    beta * input + alpha * bmm(batch1, batch2) for 3-D batches; input broadcasts to the product's shape.
    """
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False, momentum: typing.SupportsFloat | typing.SupportsIndex = 0.1, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-05) -> Tensor:
    """
    Batch normalization of input ``(N, C, *)`` per channel; in training, updates the running statistics in place.
    """
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """
    ``y[..., o] = input1 @ weight[o] @ input2 + bias[o]`` for input1 ``(*, in1)``, input2 ``(*, in2)``, weight (out, in1, in2), bias (out).
    """
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = 'mean') -> Tensor:
    """
    Binary cross entropy of probabilities against targets in [0, 1] (logs clamped at -100).
    """
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = 'mean', pos_weight: Tensor | None = None) -> Tensor:
    """
    Binary cross entropy of sigmoid(input) against targets in [0, 1], computed stably from the logits.
    """
def bincount(input: Tensor, weights: Tensor | None = None, minlength: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
    """
    Occurrences of each value 0..max(input) of a 1-D non-negative integer tensor (at least minlength bins); with weights their sums instead (float32 weights: float32, others: float64).
    """
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """
    Batched product of (B, M, K) and (B, K, N) tensors: (B, M, N).
    """
def bucketize(input: typing.Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """
    The bucket index of each element of input among the 1-D ascending boundaries (searchsorted).
    """
def cat(tensors: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
    """
    Joins tensors along an existing dim; shapes must match except in dim, mixed dtypes promote, and 1-D empty tensors are skipped (as torch.cat).
    """
def cdist(x1: Tensor, x2: Tensor, p: typing.SupportsFloat | typing.SupportsIndex = 2.0, compute_mode: typing.Any = None) -> Tensor:
    """
    The p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M): (..., P, R).
    """
def ceil(input: Tensor) -> Tensor:
    """
    Smallest integer >= input elementwise; gradient 0.
    """
def ceil_(input: typing.Any) -> typing.Any:
    """
    In place: Smallest integer >= input elementwise; gradient 0.
    """
def celu(input: Tensor, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0, inplace: bool = False) -> Tensor:
    """
    max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
    """
def chunk(input: Tensor, chunks: typing.SupportsInt | typing.SupportsIndex, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple:
    """
    At most ``chunks`` views along dim, each of ceil(size / chunks) elements.
    """
def clamp(input: Tensor, min: typing.Any = None, max: typing.Any = None) -> Tensor:
    """
    input limited elementwise to [min, max]; each bound optional, a number or a tensor (broadcast).
    """
def clip(input: Tensor, min: typing.Any = None, max: typing.Any = None) -> Tensor:
    """
    Alias of clamp.
    """
def concat(tensors: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
    """
    Alias of cat.
    """
def concatenate(tensors: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
    """
    Alias of cat.
    """
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: typing.Any = 1, padding: typing.Any = 0, dilation: typing.Any = 1, groups: typing.SupportsInt | typing.SupportsIndex = 1) -> Tensor:
    """
    1-d convolution of input (N, C, L) or (C, L) with weight (O, C/groups, k), plus bias (O); padding is an int, 'same' or 'valid'.
    """
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: typing.Any = 1, padding: typing.Any = 0, dilation: typing.Any = 1, groups: typing.SupportsInt | typing.SupportsIndex = 1) -> Tensor:
    """
    2-d convolution of input (N, C, H, W) or (C, H, W) with weight (O, C/groups, kH, kW), plus bias (O); padding is an int, a pair, 'same' or 'valid'.
    """
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: typing.Any = 1, padding: typing.Any = 0, output_padding: typing.Any = 0, groups: typing.SupportsInt | typing.SupportsIndex = 1, dilation: typing.Any = 1) -> Tensor:
    """
    1-d transposed convolution of input (N, C_in, L) or (C_in, L) with weight (C_in, C_out/groups, k), plus bias (C_out).
    """
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: typing.Any = 1, padding: typing.Any = 0, output_padding: typing.Any = 0, groups: typing.SupportsInt | typing.SupportsIndex = 1, dilation: typing.Any = 1) -> Tensor:
    """
    2-d transposed convolution of input (N, C_in, H, W) or (C_in, H, W) with weight (C_in, C_out/groups, kH, kW), plus bias (C_out).
    """
def copysign(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    abs(input) with the sign of other elementwise (float results).
    """
def cos(input: Tensor) -> Tensor:
    """
    Cosine elementwise.
    """
def cos_(input: typing.Any) -> typing.Any:
    """
    In place: Cosine elementwise.
    """
def cosh(input: Tensor) -> Tensor:
    """
    Hyperbolic cosine elementwise.
    """
def cosh_(input: typing.Any) -> typing.Any:
    """
    In place: Hyperbolic cosine elementwise.
    """
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: typing.SupportsFloat | typing.SupportsIndex = 0.0, reduction: str = 'mean') -> Tensor:
    """
    1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1.
    """
def cosine_similarity(x1: Tensor, x2: Tensor, dim: typing.SupportsInt | typing.SupportsIndex = 1, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-08) -> Tensor:
    """
    Cosine similarity of x1 and x2 (broadcast together) along dim.
    """
def count_nonzero(input: Tensor, dim: typing.Any = None) -> Tensor:
    """
    The number of nonzero elements over dim (None: all dims), as int64.
    """
def cross(input: Tensor, other: Tensor, dim: typing.Any = None) -> Tensor:
    """
    The cross product of the 3-vectors along dim (input and other broadcast); dim None: the first dim of extent 3 (use ember.linalg.cross for dim=-1).
    """
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: typing.SupportsInt | typing.SupportsIndex = -100, reduction: str = 'mean', label_smoothing: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> Tensor:
    """
    Cross entropy of logits (C), (N, C) or (N, C, d1, ...) against integer class indices or class probabilities of the input's shape.
    """
def cummax(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
    """
    A named tuple (values, indices) of the running maximum along dim (NaN sticks).
    """
def cummin(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex) -> typing.Any:
    """
    A named tuple (values, indices) of the running minimum along dim (NaN sticks).
    """
def cumprod(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, *, dtype: typing.Any = None) -> Tensor:
    """
    Running product along dim (bool/integers: int64; dtype converts the input first); the gradient is exact with zeros.
    """
def cumsum(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, *, dtype: typing.Any = None) -> Tensor:
    """
    Running sum along dim (bool/integers: int64; dtype converts the input first).
    """
def deg2rad(input: Tensor) -> Tensor:
    """
    Degrees to radians elementwise.
    """
def deg2rad_(input: typing.Any) -> typing.Any:
    """
    In place: Degrees to radians elementwise.
    """
def diag(input: Tensor, diagonal: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
    """
    A 1-D input as the diagonal of a square matrix, or the diagonal of a 2-D input as a new 1-D tensor.
    """
def diagonal(input: Tensor, offset: typing.SupportsInt | typing.SupportsIndex = 0, dim1: typing.SupportsInt | typing.SupportsIndex = 0, dim2: typing.SupportsInt | typing.SupportsIndex = 1) -> Tensor:
    """
    The diagonal of dims dim1 and dim2 (offset above > 0 or below < 0 the main one), as a view whose last dim runs along it.
    """
def diff(input: Tensor, n: typing.SupportsInt | typing.SupportsIndex = 1, dim: typing.SupportsInt | typing.SupportsIndex = -1, prepend: Tensor | None = None, append: Tensor | None = None) -> Tensor:
    """
    The n-th forward difference along dim (bool: xor), after prepend and append are concatenated along dim.
    """
def div(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input / other (true division: integers give float32), broadcast.
    """
def dot(input: Tensor, other: Tensor) -> Tensor:
    """
    Dot product of two 1-D tensors of equal length, as a 0-d tensor.
    """
def dropout(input: typing.Any, p: typing.SupportsFloat | typing.SupportsIndex = 0.5, training: bool = True) -> typing.Any:
    """
    In training, zeroes each element with probability p (ember's RNG) and scales the rest by 1 / (1 - p); else returns input.
    """
def dropout1d(input: Tensor, p: typing.SupportsFloat | typing.SupportsIndex = 0.5, training: bool = True) -> Tensor:
    """
    Zeroes whole channels of (N, C, L) or (C, L) input with probability p, scaling the rest by 1 / (1 - p).
    """
def dropout2d(input: Tensor, p: typing.SupportsFloat | typing.SupportsIndex = 0.5, training: bool = True) -> Tensor:
    """
    Zeroes whole channels of (N, C, H, W) input with probability p, scaling the rest by 1 / (1 - p).
    """
def einsum(equation: str, *args) -> Tensor:
    """
    Sums the product of operands over the subscripts the equation's output omits (implicit or explicit output, '...' broadcast dims, repeated subscripts take diagonals).
    """
def elu(input: Tensor, alpha: typing.SupportsFloat | typing.SupportsIndex = 1.0, inplace: bool = False) -> Tensor:
    """
    x where x > 0, alpha * (exp(x) - 1) elsewhere; with inplace, written into input.
    """
def embedding(input: Tensor, weight: Tensor, padding_idx: typing.SupportsInt | typing.SupportsIndex | None = None) -> Tensor:
    """
    Rows of weight (num_embeddings, embedding_dim) picked by the integer input: ``(*input.shape, embedding_dim)``; the row at padding_idx gets no gradient.
    """
def empty(*args, size: typing.Any = None, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """
    An uninitialised tensor. size: ints, one tuple of ints, or size=; dtype: an ember dtype; device: 'cpu' or an ember.device; pin_memory is accepted (CPU tensors need no pinning)
    """
def empty_like(input: Tensor, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    An uninitialised tensor with input's shape, dtype and device.
    """
def eq(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input == other elementwise, as a bool tensor.
    """
def erf(input: Tensor) -> Tensor:
    """
    The error function elementwise.
    """
def erf_(input: typing.Any) -> typing.Any:
    """
    In place: The error function elementwise.
    """
def erfc(input: Tensor) -> Tensor:
    """
    1 - erf(input) elementwise, accurate for large input.
    """
def erfc_(input: typing.Any) -> typing.Any:
    """
    In place: 1 - erf(input) elementwise, accurate for large input.
    """
def exp(input: Tensor) -> Tensor:
    """
    e**input elementwise (integer inputs give float32).
    """
def exp2(input: Tensor) -> Tensor:
    """
    2**input elementwise.
    """
def exp2_(input: typing.Any) -> typing.Any:
    """
    In place: 2**input elementwise.
    """
def exp_(input: typing.Any) -> typing.Any:
    """
    In place: e**input elementwise (integer inputs give float32).
    """
def expm1(input: Tensor) -> Tensor:
    """
    exp(input) - 1 elementwise, accurate for small input.
    """
def expm1_(input: typing.Any) -> typing.Any:
    """
    In place: exp(input) - 1 elementwise, accurate for small input.
    """
def eye(n: typing.SupportsInt | typing.SupportsIndex, m: typing.SupportsInt | typing.SupportsIndex | None = None, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    An n x m identity matrix.
    """
def flip(input: Tensor, dims: typing.Any) -> Tensor:
    """
    A copy of input with the order of elements reversed along dims.
    """
def fliplr(input: Tensor) -> Tensor:
    """
    flip along dim 1 (left/right); input must be at least 2-D.
    """
def flipud(input: Tensor) -> Tensor:
    """
    flip along dim 0 (up/down); input must be at least 1-D.
    """
def floor(input: Tensor) -> Tensor:
    """
    Largest integer <= input elementwise; gradient 0.
    """
def floor_(input: typing.Any) -> typing.Any:
    """
    In place: Largest integer <= input elementwise; gradient 0.
    """
def floor_divide(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    floor(input / other) (Python's //); integer division by zero raises.
    """
def fmod(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    C's remainder of input / other (the sign of input); integer division by zero raises.
    """
def frac(input: Tensor) -> Tensor:
    """
    input - trunc(input) elementwise (float inputs only).
    """
def frac_(input: typing.Any) -> typing.Any:
    """
    In place: input - trunc(input) elementwise (float inputs only).
    """
def from_dlpack(ext_tensor: typing.Any) -> Tensor:
    """
    A tensor sharing memory with any DLPack producer (PyTorch, JAX, NumPy), no copy.
    """
def from_numpy(ndarray: numpy.ndarray) -> Tensor:
    """
    A tensor sharing memory with a NumPy array (no copy); writes are seen by both.
    """
def full(size: typing.Any, fill_value: typing.Any, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    A tensor filled with fill_value (dtype from the value when not given).
    """
def full_like(input: Tensor, fill_value: typing.Any, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    fill_value with input's shape, dtype and device.
    """
def gather(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor) -> Tensor:
    """
    out[i][j] = input[i][index[i][j]] for dim 1 (likewise for any dim); index is int64 with input's ndim.
    """
def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor, full: bool = False, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-06, reduction: str = 'mean') -> Tensor:
    """
    Gaussian negative log likelihood of target given means input and variances var.
    """
def ge(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input >= other elementwise, as a bool tensor.
    """
def gelu(input: Tensor, *, approximate: str = 'none') -> Tensor:
    """
    GELU elementwise: exact erf form (approximate='none') or the tanh approximation ('tanh').
    """
def generate_square_subsequent_mask(sz: typing.SupportsInt | typing.SupportsIndex, device: typing.Any = None, dtype: typing.Any = None) -> Tensor:
    """
    An additive causal mask (sz, sz): -inf above the diagonal, 0 elsewhere.
    """
def get_num_threads() -> int:
    """
    The number of threads ember's kernels use.
    """
def get_rng_state() -> Tensor:
    """
    The default generator's state as a uint8 tensor, for set_rng_state (resuming a run where it stopped).
    """
def glu(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex = -1) -> Tensor:
    """
    a * sigmoid(b) for the halves a, b of input along dim.
    """
def group_norm(input: Tensor, num_groups: typing.SupportsInt | typing.SupportsIndex, weight: Tensor | None = None, bias: Tensor | None = None, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-05) -> Tensor:
    """
    Group normalization of input ``(N, C, *)`` over num_groups groups of channels.
    """
def gt(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input > other elementwise, as a bool tensor.
    """
def hardshrink(input: Tensor, lambd: typing.SupportsFloat | typing.SupportsIndex = 0.5) -> Tensor:
    """
    0 where ``|x| <= lambd``, x elsewhere.
    """
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """
    relu6(x + 3) / 6.
    """
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """
    x * relu6(x + 3) / 6.
    """
def hardtanh(input: Tensor, min_val: typing.SupportsFloat | typing.SupportsIndex = -1.0, max_val: typing.SupportsFloat | typing.SupportsIndex = 1.0, inplace: bool = False) -> Tensor:
    """
    x clamped to [min_val, max_val]; the gradient is 0 at and beyond the bounds.
    """
def huber_loss(input: Tensor, target: Tensor, reduction: str = 'mean', delta: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
    """
    Huber: ``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (d = input - target).
    """
def hypot(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    sqrt(input**2 + other**2) elementwise, without overflow.
    """
def index_add(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, source: Tensor, *, alpha: typing.Any = 1) -> Tensor:
    """
    A copy of input with alpha * source added at the positions index (1-D) gives along dim.
    """
def index_copy(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, source: Tensor) -> Tensor:
    """
    A copy of input with source's slices copied to the positions index (1-D) gives along dim.
    """
def index_fill(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, value: typing.Any) -> Tensor:
    """
    A copy of input with value (a number or 0-d tensor) in the slices index (1-D) gives along dim.
    """
def index_select(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor) -> Tensor:
    """
    The entries of input at positions index (1-D int64 or int32) along dim.
    """
def initial_seed() -> int:
    """
    The seed the default generator started from.
    """
def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None, weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True, momentum: typing.SupportsFloat | typing.SupportsIndex = 0.1, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-05) -> Tensor:
    """
    Instance normalization of input ``(N, C, *)``: each channel of each sample over its spatial dims.
    """
def is_grad_enabled() -> bool:
    """
    True when ops record gradients on this thread.
    """
def isclose(input: Tensor, other: Tensor, rtol: typing.SupportsFloat | typing.SupportsIndex = 1e-05, atol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, equal_nan: bool = False) -> Tensor:
    """
    Elementwise ``|input - other| <= atol + rtol * |other|`` (equal values always, NaNs when equal_nan), as bool.
    """
def isfinite(input: Tensor) -> Tensor:
    """
    Elementwise: is input neither inf nor NaN, as a bool tensor.
    """
def isin(elements: typing.Any, test_elements: typing.Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """
    For each element: is it in test_elements (a bool tensor of elements' shape)?
    """
def isinf(input: Tensor) -> Tensor:
    """
    Elementwise: is input +inf or -inf, as a bool tensor.
    """
def isnan(input: Tensor) -> Tensor:
    """
    Elementwise: is input NaN, as a bool tensor.
    """
def kl_div(input: Tensor, target: Tensor, reduction: str = 'mean', log_target: bool = False) -> Tensor:
    """
    Kullback-Leibler divergence of target from log-probabilities input.
    """
def kron(input: Tensor, other: Tensor) -> Tensor:
    """
    The Kronecker product of input and other.
    """
def kthvalue(input: Tensor, k: typing.SupportsInt | typing.SupportsIndex, dim: typing.SupportsInt | typing.SupportsIndex = -1, keepdim: bool = False) -> typing.Any:
    """
    A named tuple (values, indices) of the k-th smallest element along dim.
    """
def l1_loss(input: Tensor, target: Tensor, reduction: str = 'mean') -> Tensor:
    """
    Mean absolute error ``|input - target|``, input and target broadcast together.
    """
def layer_norm(input: Tensor, normalized_shape: typing.Any, weight: Tensor | None = None, bias: Tensor | None = None, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-05) -> Tensor:
    """
    Layer normalization of input over its last dims, normalized_shape.
    """
def le(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input <= other elementwise, as a bool tensor.
    """
def leaky_relu(input: Tensor, negative_slope: typing.SupportsFloat | typing.SupportsIndex = 0.01) -> Tensor:
    """
    input where positive, negative_slope * input elsewhere.
    """
def leaky_relu_(input: Tensor, negative_slope: typing.SupportsFloat | typing.SupportsIndex = 0.01) -> Tensor:
    """
    leaky_relu written into input.
    """
def lerp(input: Tensor, end: Tensor, weight: typing.Any) -> Tensor:
    """
    input + weight * (end - input), broadcast; weight a tensor or a number; floating inputs only.
    """
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """
    ``input @ weight.T + bias`` for input ``(*, in_features)``, weight (out_features, in_features), bias (out_features).
    """
def linspace(start: typing.SupportsFloat | typing.SupportsIndex, end: typing.SupportsFloat | typing.SupportsIndex, steps: typing.SupportsInt | typing.SupportsIndex, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    steps evenly spaced values from start to end, inclusive.
    """
def log(input: Tensor) -> Tensor:
    """
    Natural logarithm elementwise.
    """
def log10(input: Tensor) -> Tensor:
    """
    Base-10 logarithm elementwise.
    """
def log10_(input: typing.Any) -> typing.Any:
    """
    In place: Base-10 logarithm elementwise.
    """
def log1p(input: Tensor) -> Tensor:
    """
    log(1 + input) elementwise, accurate for small input.
    """
def log1p_(input: typing.Any) -> typing.Any:
    """
    In place: log(1 + input) elementwise, accurate for small input.
    """
def log2(input: Tensor) -> Tensor:
    """
    Base-2 logarithm elementwise.
    """
def log2_(input: typing.Any) -> typing.Any:
    """
    In place: Base-2 logarithm elementwise.
    """
def log_(input: typing.Any) -> typing.Any:
    """
    In place: Natural logarithm elementwise.
    """
def log_softmax(input: Tensor, dim: typing.Any, dtype: typing.Any = None) -> Tensor:
    """
    input - logsumexp(input) along dim, computed stably; floating inputs only (dtype converts first).
    """
def logaddexp(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    log(exp(input) + exp(other)) elementwise, without overflow.
    """
def logcumsumexp(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
    """
    log(cumsum(exp(input))) along dim, without overflow or underflow.
    """
def logical_and(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    (input != 0) and (other != 0) elementwise, as a bool tensor.
    """
def logical_not(input: Tensor) -> Tensor:
    """
    Elementwise input == 0, as a bool tensor.
    """
def logical_or(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    (input != 0) or (other != 0) elementwise, as a bool tensor.
    """
def logical_xor(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    (input != 0) xor (other != 0) elementwise, as a bool tensor.
    """
@typing.overload
def logit(input: Tensor) -> Tensor:
    """
    log(input / (1 - input)) elementwise, the inverse of sigmoid.
    """
@typing.overload
def logit(input: Tensor, eps: typing.Any) -> Tensor:
    """
    logit of input clamped to [eps, 1 - eps] (eps None: unclamped).
    """
def logit_(input: typing.Any) -> typing.Any:
    """
    In place: log(input / (1 - input)) elementwise, the inverse of sigmoid.
    """
def logsigmoid(input: Tensor) -> Tensor:
    """
    log(sigmoid(x)), computed stably.
    """
def logsumexp(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> Tensor:
    """
    log(sum(exp(input))) over dim (None: all dims), computed stably; integer inputs give float32.
    """
def lt(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input < other elementwise, as a bool tensor.
    """
def manual_seed(seed: typing.Any) -> None:
    """
    Seeds the default generator.
    """
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: typing.SupportsFloat | typing.SupportsIndex = 0.0, reduction: str = 'mean') -> Tensor:
    """
    max(0, -target * (input1 - input2) + margin).
    """
def masked_fill(input: Tensor, mask: Tensor, value: typing.Any) -> Tensor:
    """
    A copy of input with value (a number or 0-d tensor) where mask (bool, broadcast) is true.
    """
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """
    A copy of input whose elements where mask (bool, broadcast) is true take source's elements in order.
    """
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """
    The elements where mask (bool, broadcast with input) is true, as a 1-D tensor.
    """
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """
    Matrix product with NumPy's rules: 1-D @ 1-D is a 0-d dot product, a 1-D operand gains and then loses a dim, N-D operands are stacks of matrices whose batch dims broadcast; dtypes promote.
    """
def max(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
    """
    max(input): the largest element (0-d; NaN propagates). max(input, dim, keepdim=False): a named tuple (values, indices) along dim; ties give the first index. max(input, other): the elementwise maximum.
    """
def max_pool1d(input: Tensor, kernel_size: typing.Any, stride: typing.Any = None, padding: typing.Any = 0, dilation: typing.Any = 1, ceil_mode: bool = False) -> Tensor:
    """
    The maximum over each kernel_size window of input (N, C, L) or (C, L); stride defaults to kernel_size.
    """
def max_pool2d(input: Tensor, kernel_size: typing.Any, stride: typing.Any = None, padding: typing.Any = 0, dilation: typing.Any = 1, ceil_mode: bool = False) -> Tensor:
    """
    The maximum over each kernel_size window of input (N, C, H, W) or (C, H, W); stride defaults to kernel_size.
    """
def maximum(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    Elementwise maximum (NaN propagates), broadcast and type-promoted.
    """
def mean(input: Tensor, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
    """
    Mean over dim (None: all dims); floating inputs only (TypeError otherwise, pass dtype= to convert).
    """
def median(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
    """
    The lower median of all elements (0-d), or along dim a named tuple (values, indices); NaN propagates.
    """
def meshgrid(*args, indexing: str = 'ij') -> tuple:
    """
    Coordinate grids of 1-D tensors: output i varies along dim i ('ij') or with the first two dims swapped ('xy').
    """
def min(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
    """
    min(input): the smallest element (0-d; NaN propagates). min(input, dim, keepdim=False): a named tuple (values, indices) along dim; ties give the first index. min(input, other): the elementwise minimum.
    """
def minimum(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    Elementwise minimum (NaN propagates), broadcast and type-promoted.
    """
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """
    x * tanh(softplus(x)).
    """
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """
    Product of two 2-D tensors.
    """
def mode(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex = -1, keepdim: bool = False) -> typing.Any:
    """
    A named tuple (values, indices) of the most frequent value along dim (the smallest on ties, with the index of its last occurrence).
    """
def mse_loss(input: Tensor, target: Tensor, reduction: str = 'mean', weight: Tensor | None = None) -> Tensor:
    """
    Mean squared error (input - target) ** 2, input and target broadcast together.
    """
def msort(input: Tensor) -> Tensor:
    """
    input sorted along its first dim (the values of sort(input, 0)).
    """
def mul(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input * other, broadcast and type-promoted.
    """
def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: typing.SupportsInt | typing.SupportsIndex, num_heads: typing.SupportsInt | typing.SupportsIndex, in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, dropout_p: typing.SupportsFloat | typing.SupportsIndex, out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True, key_padding_mask: Tensor | None = None, need_weights: bool = True, attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None, average_attn_weights: bool = True, is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """
    Multi-head attention over query (L, N, E) or (L, E), key/value ``(S, N, *)``: (output, weights or None), as torch.nn.functional.multi_head_attention_forward without bias_k/bias_v, add_zero_attn and static_k/v.
    """
def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = 'mean') -> Tensor:
    """
    Multi-label one-versus-all logistic loss, averaged over the classes (the last dim).
    """
def multinomial(input: Tensor, num_samples: typing.SupportsInt | typing.SupportsIndex, replacement: bool = False, *, generator: typing.Any = None) -> Tensor:
    """
    num_samples category indices (int64) per row of the 1-D or 2-D non-negative weights input, drawn from ember's generator (ember.manual_seed).
    """
def multiply(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    Alias of mul.
    """
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """
    The product of a 2-D input and a 1-D vec.
    """
def nan_to_num(input: Tensor, nan: typing.SupportsFloat | typing.SupportsIndex | None = 0.0, posinf: typing.SupportsFloat | typing.SupportsIndex | None = None, neginf: typing.SupportsFloat | typing.SupportsIndex | None = None) -> Tensor:
    """
    input with NaN, +inf and -inf replaced by nan, posinf and neginf (defaults: 0, the dtype's largest and lowest finite values).
    """
def nanmean(input: Tensor, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
    """
    Mean over dim (None: all dims) of the elements that are not NaN.
    """
def nanmedian(input: Tensor, dim: typing.Any = None, keepdim: bool = False) -> typing.Any:
    """
    median skipping NaN (NaN only for a row of NaN).
    """
def nanquantile(input: Tensor, q: typing.Any, dim: typing.Any = None, keepdim: bool = False, *, interpolation: str = 'linear') -> Tensor:
    """
    quantile ranking each row's numbers only (NaN skipped).
    """
def nansum(input: Tensor, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
    """
    Sum over dim (None: all dims) treating NaN as 0.
    """
def ne(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input != other elementwise, as a bool tensor.
    """
def neg(input: Tensor) -> Tensor:
    """
    -input elementwise (TypeError for bool: use ~ or logical_not).
    """
def neg_(input: typing.Any) -> typing.Any:
    """
    In place: -input elementwise (TypeError for bool: use ~ or logical_not).
    """
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: typing.SupportsInt | typing.SupportsIndex = -100, reduction: str = 'mean') -> Tensor:
    """
    Negative log likelihood of integer class indices given log-probabilities (C), (N, C) or (N, C, d1, ...).
    """
def nonzero(input: Tensor, *, as_tuple: bool = False) -> typing.Any:
    """
    The indices of the nonzero elements, one row each (N, input.dim()) in row-major order; as_tuple: one 1-D tensor per dim.
    """
def norm(input: Tensor, p: typing.Any = 'fro', dim: typing.Any = None, keepdim: bool = False, dtype: typing.Any = None) -> Tensor:
    """
    The p-norm of input over dim (None: all dims): p 'fro' (default) is the 2-norm, a number the vector p-norm (inf: ``max |x|``); 'nuc' the nuclear norm (dim None: dims (0, 1)).
    """
def normalize(input: Tensor, p: typing.SupportsFloat | typing.SupportsIndex = 2.0, dim: typing.SupportsInt | typing.SupportsIndex = 1, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-12) -> Tensor:
    """
    input divided by its p-norm along dim, the norm at least eps.
    """
def one_hot(tensor: Tensor, num_classes: typing.SupportsInt | typing.SupportsIndex = -1) -> Tensor:
    """
    int64 one-hot encoding: ``(*)`` integer class indices -> ``(*, num_classes)``, inferred as max + 1 when -1.
    """
def ones(*args, size: typing.Any = None, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """
    A tensor of ones. size: ints, one tuple of ints, or size=; dtype: an ember dtype; device: 'cpu' or an ember.device; pin_memory is accepted (CPU tensors need no pinning)
    """
def ones_like(input: Tensor, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    Ones with input's shape, dtype and device.
    """
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """
    Outer product of 1-D tensors of lengths N and M: an (N, M) tensor.
    """
def pairwise_distance(x1: Tensor, x2: Tensor, p: typing.SupportsFloat | typing.SupportsIndex = 2.0, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-06, keepdim: bool = False) -> Tensor:
    """
    The p-norm of x1 - x2 + eps along the last dim.
    """
def pixel_shuffle(input: Tensor, upscale_factor: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
    """
    Rearranges ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)``.
    """
def pixel_unshuffle(input: Tensor, downscale_factor: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
    """
    Rearranges ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)``.
    """
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-08, reduction: str = 'mean') -> Tensor:
    """
    Poisson negative log likelihood of target given input.
    """
def pow(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input ** other (tensor or scalar on either side), broadcast and type-promoted.
    """
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """
    x where x > 0, weight * x elsewhere (weight per channel, dim 1).
    """
def prod(input: Tensor, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
    """
    Product over dim (None: all dims); bool/int inputs multiply in int64; dtype converts the input first.
    """
def promote_types(type1: numpy.dtype[typing.Any], type2: numpy.dtype[typing.Any]) -> numpy.dtype[typing.Any]:
    """
    The dtype that arithmetic between tensors of type1 and type2 produces.
    """
def quantile(input: Tensor, q: typing.Any, dim: typing.Any = None, keepdim: bool = False, *, interpolation: str = 'linear') -> Tensor:
    """
    The q-quantiles (q a number or 1-D tensor in [0, 1]) along dim (None: all elements); interpolation 'linear', 'lower', 'higher', 'nearest' or 'midpoint'; NaN propagates.
    """
def rad2deg(input: Tensor) -> Tensor:
    """
    Radians to degrees elementwise.
    """
def rad2deg_(input: typing.Any) -> typing.Any:
    """
    In place: Radians to degrees elementwise.
    """
def rand(*args, size: typing.Any = None, generator: typing.Any = None, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """
    Uniform samples in [0, 1).
    """
def randint(low: typing.SupportsInt | typing.SupportsIndex, high: typing.Any = None, size: typing.Any = None, *, generator: typing.Any = None, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    Uniform integers in [low, high): randint(high, size) or randint(low, high, size).
    """
def randn(*args, size: typing.Any = None, generator: typing.Any = None, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """
    Standard normal samples.
    """
def randperm(n: typing.SupportsInt | typing.SupportsIndex, *, generator: typing.Any = None, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    A random permutation of 0 .. n-1 (int64 unless dtype is given).
    """
def reciprocal(input: Tensor) -> Tensor:
    """
    1 / input elementwise (integer inputs give float32).
    """
def reciprocal_(input: typing.Any) -> typing.Any:
    """
    In place: 1 / input elementwise (integer inputs give float32).
    """
def relu(input: Tensor) -> Tensor:
    """
    max(input, 0) elementwise; NaN stays NaN.
    """
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """
    min(max(x, 0), 6).
    """
def relu_(input: typing.Any) -> typing.Any:
    """
    In place: max(input, 0) elementwise; NaN stays NaN.
    """
def remainder(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    Python's input % other (the sign of other); integer division by zero raises.
    """
def repeat_interleave(input: Tensor, repeats: typing.Any = None, dim: typing.SupportsInt | typing.SupportsIndex | None = None, *, output_size: typing.SupportsInt | typing.SupportsIndex | None = None) -> Tensor:
    """
    Each element (or slice along dim) repeated repeats times (an int, or a tensor of per-slice counts); input flattened when dim is None. repeat_interleave(repeats) alone gives the repeated positions.
    """
def rms_norm(input: Tensor, normalized_shape: typing.Any, weight: Tensor | None = None, eps: typing.SupportsFloat | typing.SupportsIndex | None = None) -> Tensor:
    """
    input / sqrt(mean(input**2) + eps) * weight over the last dims, normalized_shape.
    """
def roll(input: Tensor, shifts: typing.Any, dims: typing.Any = None) -> Tensor:
    """
    Elements shifted by shifts along dims with wrap-around (input flattened when dims is None).
    """
def rot90(input: Tensor, k: typing.SupportsInt | typing.SupportsIndex = 1, dims: typing.Any = (0, 1)) -> Tensor:
    """
    input rotated by 90 degrees k times in the plane of dims (from dims[0] towards dims[1]).
    """
@typing.overload
def round(input: Tensor) -> Tensor:
    """
    input rounded to the nearest integer, halves to even; gradient 0.
    """
@typing.overload
def round(input: Tensor, *, decimals: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
    """
    input rounded to decimals decimal places (negative: tens, hundreds...), halves to even.
    """
def round_(input: typing.Any) -> typing.Any:
    """
    In place: input rounded to the nearest integer, halves to even; gradient 0.
    """
def rsqrt(input: Tensor) -> Tensor:
    """
    1 / sqrt(input) elementwise.
    """
def rsqrt_(input: typing.Any) -> typing.Any:
    """
    In place: 1 / sqrt(input) elementwise.
    """
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None, dropout_p: typing.SupportsFloat | typing.SupportsIndex = 0.0, is_causal: bool = False, scale: typing.SupportsFloat | typing.SupportsIndex | None = None) -> Tensor:
    """
    ``softmax(query @ key^T * scale + mask) @ value`` for query ``(*, L, E)``, key ``(*, S, E)``, value ``(*, S, Ev)``; a bool attn_mask marks with True the positions that take part.
    """
def scatter(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, src: typing.Any = None, *, value: typing.Any = None, reduce: str | None = None) -> Tensor:
    """
    A copy of input with src's elements (or value) written along dim at index (int64, input's rank): out[i][index[i][j]] = src[i][j] for dim 1; reduce='add' or 'multiply' combines instead.
    """
def scatter_add(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, src: Tensor) -> Tensor:
    """
    A copy of input with src's elements added along dim at index (repeated indices add up).
    """
def scatter_reduce(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:
    """
    A copy of input with src's elements reduced ('sum', 'prod', 'mean', 'amax', 'amin') into the positions index gives along dim; input's own values take part when include_self.
    """
def searchsorted(sorted_sequence: Tensor, input: typing.Any, *, out_int32: bool = False, right: bool = False, side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """
    For each element of input, the index into the last dim of sorted_sequence where it would be inserted to keep the order (before equal elements; right=True or side='right': after them); sorter: the indices that sort an unsorted sequence (argsort).
    """
def seed() -> int:
    """
    Seeds the default generator from a non-deterministic source; returns the seed.
    """
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """
    scale * elu(x, alpha) with SELU's constants.
    """
def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Sets the number of threads used by ember's kernels (oneDNN and loops).
    """
def set_rng_state(new_state: Tensor) -> None:
    """
    Restores the default generator's state from get_rng_state (anything else is a ValueError).
    """
def sigmoid(input: Tensor) -> Tensor:
    """
    1 / (1 + exp(-input)) elementwise.
    """
def sigmoid_(input: typing.Any) -> typing.Any:
    """
    In place: 1 / (1 + exp(-input)) elementwise.
    """
def sign(input: Tensor) -> Tensor:
    """
    -1, 0 or 1 by the sign of input (0 for NaN); gradient 0.
    """
def sign_(input: typing.Any) -> typing.Any:
    """
    In place: -1, 0 or 1 by the sign of input (0 for NaN); gradient 0.
    """
def signbit(input: Tensor) -> Tensor:
    """
    Elementwise: is the sign bit of input set (true for -0.0), as a bool tensor.
    """
def silu(input: Tensor) -> Tensor:
    """
    input * sigmoid(input) elementwise.
    """
def silu_(input: typing.Any) -> typing.Any:
    """
    In place: input * sigmoid(input) elementwise.
    """
def sin(input: Tensor) -> Tensor:
    """
    Sine elementwise.
    """
def sin_(input: typing.Any) -> typing.Any:
    """
    In place: Sine elementwise.
    """
def sinh(input: Tensor) -> Tensor:
    """
    Hyperbolic sine elementwise.
    """
def sinh_(input: typing.Any) -> typing.Any:
    """
    In place: Hyperbolic sine elementwise.
    """
def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = 'mean', beta: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> Tensor:
    """
    Smooth L1: ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target).
    """
def softmax(input: Tensor, dim: typing.Any, dtype: typing.Any = None) -> Tensor:
    """
    exp(input) / sum(exp(input)) along dim, computed stably; floating inputs only (dtype converts first).
    """
def softmin(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex) -> Tensor:
    """
    softmax(-x) along dim.
    """
def softplus(input: Tensor, beta: typing.SupportsFloat | typing.SupportsIndex = 1.0, threshold: typing.SupportsFloat | typing.SupportsIndex = 20.0) -> Tensor:
    """
    log(1 + exp(beta x)) / beta, x itself where beta x > threshold.
    """
def softshrink(input: Tensor, lambd: typing.SupportsFloat | typing.SupportsIndex = 0.5) -> Tensor:
    """
    x - lambd above lambd, x + lambd below -lambd, 0 between.
    """
def softsign(input: Tensor) -> Tensor:
    """
    ``x / (1 + |x|)``.
    """
def sort(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex = -1, descending: bool = False, *, stable: bool = False) -> typing.Any:
    """
    A named tuple (values, indices) of input sorted along dim; NaN sorts as the largest value; the sort is always stable.
    """
def split(tensor: Tensor, split_size_or_sections: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple:
    """
    Views of pieces along dim: of split_size elements each (an int; the last may be smaller), or of the given sizes (a list adding up to the dim's extent).
    """
def sqrt(input: Tensor) -> Tensor:
    """
    Square root elementwise.
    """
def sqrt_(input: typing.Any) -> typing.Any:
    """
    In place: Square root elementwise.
    """
def square(input: Tensor) -> Tensor:
    """
    input * input elementwise (integers stay integers).
    """
def square_(input: typing.Any) -> typing.Any:
    """
    In place: input * input elementwise (integers stay integers).
    """
def stack(tensors: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
    """
    Joins equally shaped tensors along a new dim inserted at dim (mixed dtypes promote).
    """
def std(input: Tensor, dim: typing.Any = None, unbiased: typing.Any = None, keepdim: bool = False, *, correction: typing.Any = None) -> Tensor:
    """
    Standard deviation over dim (None: all dims) with divisor N - correction (default 1; unbiased=False means 0); floating inputs only.
    """
def std_mean(input: Tensor, dim: typing.Any = None, unbiased: typing.Any = None, keepdim: bool = False, *, correction: typing.Any = None) -> tuple[Tensor, Tensor]:
    """
    (std, mean) over dim, as std and mean give them.
    """
@typing.overload
def sub(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input - other, broadcast and type-promoted.
    """
@typing.overload
def sub(input: typing.Any, other: typing.Any, *, alpha: typing.Any) -> typing.Any:
    """
    input - alpha * other.
    """
def subtract(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    Alias of sub.
    """
def sum(input: Tensor, dim: typing.Any = None, keepdim: bool = False, *, dtype: typing.Any = None) -> Tensor:
    """
    Sum over dim (None: all dims; an int or a tuple of ints); bool/int inputs sum to int64; dtype converts the input first.
    """
def take(input: Tensor, index: Tensor) -> Tensor:
    """
    The elements at the flat (row-major) positions of index (int64; negative counts from the end).
    """
def take_along_dim(input: Tensor, indices: Tensor, dim: typing.Any = None) -> Tensor:
    """
    The elements at indices along dim (input and indices broadcast over the other dims); dim None: over the flattened input.
    """
def tan(input: Tensor) -> Tensor:
    """
    Tangent elementwise.
    """
def tan_(input: typing.Any) -> typing.Any:
    """
    In place: Tangent elementwise.
    """
def tanh(input: Tensor) -> Tensor:
    """
    Hyperbolic tangent elementwise.
    """
def tanh_(input: typing.Any) -> typing.Any:
    """
    In place: Hyperbolic tangent elementwise.
    """
def tanhshrink(input: Tensor) -> Tensor:
    """
    x - tanh(x).
    """
def tensor(data: typing.Any, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    A tensor holding a copy of data (nested lists, numbers, NumPy arrays, tensors). Python floats give float32, ints int64, bools bool; NumPy arrays keep their dtype.
    """
def tensor_split(input: Tensor, indices_or_sections: typing.Any, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple:
    """
    Views along dim: ``sections`` nearly equal pieces (an int) or pieces split before each index (a list).
    """
def tensordot(a: Tensor, b: Tensor, dims: typing.Any = 2) -> Tensor:
    """
    Sums a * b over the last dims of a and the first of b (an int), or over the paired dim lists ([a's], [b's]).
    """
def threshold(input: Tensor, threshold: typing.SupportsFloat | typing.SupportsIndex, value: typing.SupportsFloat | typing.SupportsIndex, inplace: bool = False) -> Tensor:
    """
    value where x <= threshold, x elsewhere.
    """
def tile(input: Tensor, dims: typing.Any) -> Tensor:
    """
    repeat with dims padded by leading 1s to input's rank.
    """
def topk(input: Tensor, k: typing.SupportsInt | typing.SupportsIndex, dim: typing.SupportsInt | typing.SupportsIndex = -1, largest: bool = True, sorted: bool = True) -> typing.Any:
    """
    A named tuple (values, indices) of the k largest (largest=False: smallest) elements along dim, in sorted order.
    """
def trace(input: Tensor) -> Tensor:
    """
    The sum of a 2-D input's main diagonal (integers sum in int64).
    """
def tril(input: Tensor, diagonal: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
    """
    The lower triangle of the last two dims (column - row <= diagonal), the rest zero.
    """
def tril_indices(row: typing.SupportsInt | typing.SupportsIndex, col: typing.SupportsInt | typing.SupportsIndex, offset: typing.SupportsInt | typing.SupportsIndex = 0, *, dtype: typing.Any = None, device: typing.Any = None) -> Tensor:
    """
    The (2, N) indices of the lower triangle (column - row <= offset) of a row x col matrix.
    """
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: typing.SupportsFloat | typing.SupportsIndex = 1.0, p: typing.SupportsFloat | typing.SupportsIndex = 2.0, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-06, swap: bool = False, reduction: str = 'mean') -> Tensor:
    """
    max(0, margin + d(anchor, positive) - d(anchor, negative)) with the pairwise p-norm distance d.
    """
def triu(input: Tensor, diagonal: typing.SupportsInt | typing.SupportsIndex = 0) -> Tensor:
    """
    The upper triangle of the last two dims (column - row >= diagonal), the rest zero.
    """
def triu_indices(row: typing.SupportsInt | typing.SupportsIndex, col: typing.SupportsInt | typing.SupportsIndex, offset: typing.SupportsInt | typing.SupportsIndex = 0, *, dtype: typing.Any = None, device: typing.Any = None) -> Tensor:
    """
    The (2, N) indices of the upper triangle (column - row >= offset) of a row x col matrix.
    """
def true_divide(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    Alias of div.
    """
def trunc(input: Tensor) -> Tensor:
    """
    input rounded toward zero elementwise; gradient 0.
    """
def trunc_(input: typing.Any) -> typing.Any:
    """
    In place: input rounded toward zero elementwise; gradient 0.
    """
def unbind(input: Tensor, dim: typing.SupportsInt | typing.SupportsIndex = 0) -> tuple:
    """
    A tuple of the slices along dim (views).
    """
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim: typing.Any = None) -> typing.Any:
    """
    The distinct elements of input (dim: the distinct slices along dim) in ascending order; with return_inverse / return_counts a tuple that adds the inverse indices / the counts.
    """
def var(input: Tensor, dim: typing.Any = None, unbiased: typing.Any = None, keepdim: bool = False, *, correction: typing.Any = None) -> Tensor:
    """
    Variance over dim (None: all dims) with divisor N - correction (default 1; unbiased=False means 0); floating inputs only.
    """
def var_mean(input: Tensor, dim: typing.Any = None, unbiased: typing.Any = None, keepdim: bool = False, *, correction: typing.Any = None) -> tuple[Tensor, Tensor]:
    """
    (var, mean) over dim, as var and mean give them.
    """
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """
    The dot product of two 1-D tensors (for real tensors, dot).
    """
def where(condition: Tensor, input: typing.Any, other: typing.Any) -> Tensor:
    """
    Elementwise condition ? input : other (condition a bool tensor; input/other tensors or numbers, broadcast and promoted).
    """
def xlogy(input: typing.Any, other: typing.Any) -> typing.Any:
    """
    input * log(other) elementwise, 0 where input == 0 (unless other is NaN).
    """
def zeros(*args, size: typing.Any = None, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """
    A tensor of zeros. size: ints, one tuple of ints, or size=; dtype: an ember dtype; device: 'cpu' or an ember.device; pin_memory is accepted (CPU tensors need no pinning)
    """
def zeros_like(input: Tensor, *, dtype: typing.Any = None, device: typing.Any = None, requires_grad: bool = False) -> Tensor:
    """
    Zeros with input's shape, dtype and device.
    """
__version__: str = '0.2.0'
bfloat16: dtype
bool: dtype
default_generator: Generator
double: dtype
float: dtype
float32: dtype
float64: dtype
int: dtype
int32: dtype
int64: dtype
int8: dtype
long: dtype
uint8: dtype
negative = neg
arcsin = asin
arccos = acos
arctan = atan
arcsinh = asinh
arccosh = acosh
arctanh = atanh
absolute = abs
fix = trunc
sgn = sign
divide = true_divide
arctan2 = atan2
