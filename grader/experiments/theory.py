"""The writeup's theory part, computed from the implementation's own functions.

One sandbox run calls softmax.softmax_jacobian, softmax.softmax (on perturbed inputs),
perceptron.and_gate, perceptron.or_gate and perceptron.xor_network. Everything else
(central differences, truth tables, decision regions) is computed here from the
plain arrays they return, with the assignment's rule: a unit fires when x.w + b > 0.
"""

from dataclasses import dataclass, field

import numpy as np

from grader.contract import GATES, TRUTH_X, XOR_PROOF  # noqa: F401  XOR_PROOF is re-exported for the report
from grader.sandbox import Call, Limits, Sandbox

Z = np.array([1.0, -0.5, 2.0, 0.3, -1.2])  # (C,) the point where the Jacobian is checked
STEP = 1e-5  # central-difference step h
POINTS, TARGETS = TRUTH_X, GATES  # (4, 2) the truth-table inputs, and each gate's (4,) outputs
GRID = np.linspace(-2.0, 2.0, 41)  # candidate w1, w2 and b for the exhaustive line search
CALL_TIMEOUT = 10.0



@dataclass(frozen=True)
class JacobianCheck:
    z: np.ndarray  # (C,) where it was checked
    analytic: np.ndarray  # (C, C) softmax_jacobian(z)
    numeric: np.ndarray  # (C, C) central differences of softmax
    step: float  # h

    @property
    def max_abs_error(self):
        return float(np.max(np.abs(self.analytic - self.numeric)))

    @property
    def relative_error(self):
        """||A - N|| / max(||A|| + ||N||, 1e-12), Frobenius norms."""
        scale = max(np.linalg.norm(self.analytic) + np.linalg.norm(self.numeric), 1e-12)
        return float(np.linalg.norm(self.analytic - self.numeric) / scale)


@dataclass(frozen=True)
class Gate:
    name: str  # "AND" or "OR"
    w: np.ndarray  # (2,)
    b: float

    def outputs(self, X=POINTS):
        """(N,) int: 1 where X.w + b > 0."""
        return step(X @ self.w + self.b)

    @property
    def correct(self):
        return bool(np.array_equal(self.outputs(), TARGETS[self.name]))


@dataclass(frozen=True)
class XorNet:
    W1: np.ndarray  # (2, H)
    b1: np.ndarray  # (H,)
    W2: np.ndarray  # (H,)
    b2: float

    def outputs(self, X=POINTS):
        """(N,) int: step(step(X W1 + b1) W2 + b2)."""
        hidden = step(X @ self.W1 + self.b1)  # (N, H)
        return step(hidden @ self.W2 + self.b2)

    @property
    def correct(self):
        return bool(np.array_equal(self.outputs(), TARGETS["XOR"]))


@dataclass(frozen=True)
class Theory:
    jacobian: JacobianCheck | None
    gates: tuple  # of Gate, those that could be read
    xor_net: XorNet | None
    errors: dict = field(default_factory=dict)  # part ("jacobian", "AND", "OR", "xor_network") -> why it is missing


def step(x):
    return (np.asarray(x) > 0).astype(np.int64)


def perturbed(z, h):
    """(2C, C): rows z + h e_j for j < C, then z - h e_j."""
    eye = np.eye(len(z))  # (C, C)
    return np.concatenate([z + h * eye, z - h * eye])


def central_differences(s_plus, s_minus, h):
    """J[i, j] = (S_i(z + h e_j) - S_i(z - h e_j)) / 2h; s_plus, s_minus: (C, C), row j perturbs z_j."""
    return (s_plus - s_minus).T / (2 * h)


def theory_calls(z=Z, h=STEP):
    """The sandbox calls, indexed 0..4: jacobian, softmax on perturbed z, and_gate, or_gate, xor_network."""
    return [
        Call(0, "call", {"module": "softmax", "function": "softmax_jacobian", "args": [{"array": "z"}]},
             {"z": np.array(z)}, CALL_TIMEOUT),
        Call(1, "call", {"module": "softmax", "function": "softmax", "args": [{"array": "Z"}]},
             {"Z": perturbed(np.asarray(z), h)}, CALL_TIMEOUT),
        Call(2, "call", {"module": "perceptron", "function": "and_gate"}, {}, CALL_TIMEOUT),
        Call(3, "call", {"module": "perceptron", "function": "or_gate"}, {}, CALL_TIMEOUT),
        Call(4, "call", {"module": "perceptron", "function": "xor_network"}, {}, CALL_TIMEOUT),
    ]


class Unreadable(ValueError):
    """A call failed or returned something of the wrong shape; the message says which."""


def _array(result, name, shape, what):
    if not result.ok:
        raise Unreadable(f"{what} {result.message or result.status}")
    if name not in result.arrays:
        raise Unreadable(f"{what} returned no numeric {name.split('.', 1)[-1] if '.' in name else 'value'}")
    value = np.asarray(result.arrays[name], dtype=np.float64)
    if shape is not None and value.size == int(np.prod(shape)) and value.shape != shape:
        value = value.reshape(shape)  # e.g. W2 given as (H, 1), b2 as (1,)
    if shape is not None and value.shape != shape:
        raise Unreadable(f"{what} returned {name} of shape {value.shape}, expected {shape}")
    return value


def read_jacobian(jac_result, softmax_result, z=Z, h=STEP):
    c = len(z)
    analytic = _array(jac_result, "result", (c, c), "softmax_jacobian")
    values = _array(softmax_result, "result", (2 * c, c), "softmax")  # (2C, C)
    return JacobianCheck(np.array(z), analytic, central_differences(values[:c], values[c:], h), h)


def read_gate(name, result):
    what = f"{name.lower()}_gate"
    w = _array(result, "result.0", (2,), what)
    b = _array(result, "result.1", (), what)
    return Gate(name, w, float(b))


def read_xor_net(result):
    W1 = _array(result, "result.W1", None, "xor_network")
    if W1.ndim != 2 or W1.shape[0] != 2:
        raise Unreadable(f"xor_network returned W1 of shape {W1.shape}, expected (2, H)")
    hidden = W1.shape[1]
    return XorNet(W1, _array(result, "result.b1", (hidden,), "xor_network"),
                  _array(result, "result.W2", (hidden,), "xor_network"),
                  float(_array(result, "result.b2", (), "xor_network")))


def read_theory(results, z=Z, h=STEP):
    """Theory from the five CallResults of theory_calls (in index order); failures become errors."""
    errors, gates = {}, []
    jacobian = xor_net = None
    try:
        jacobian = read_jacobian(results[0], results[1], z, h)
    except Unreadable as exc:
        errors["jacobian"] = str(exc)
    for name, result in (("AND", results[2]), ("OR", results[3])):
        try:
            gates.append(read_gate(name, result))
        except Unreadable as exc:
            errors[name] = str(exc)
    try:
        xor_net = read_xor_net(results[4])
    except Unreadable as exc:
        errors["xor_network"] = str(exc)
    return Theory(jacobian, tuple(gates), xor_net, errors)


def collect_theory(modules, limits=Limits(blas_threads=1)):
    """Run theory_calls in a Sandbox with the implementation's modules and read the results."""
    with Sandbox(modules, limits, relaxed=True) as box:  # no secret: the writeup's own theory
        results = box.run(theory_calls(), imports=list(modules))
    return read_theory(results)


def count_separating(targets, grid=GRID, X=POINTS):
    """(separating, candidates): how many lines (w1, w2, b) in grid^3 put the 1s strictly on one side.

    A line separates when step(X.w + b) equals targets or its complement.
    """
    w1, w2, b = np.meshgrid(grid, grid, grid, indexing="ij")
    lines = np.stack([w1.ravel(), w2.ravel(), b.ravel()], axis=1)  # (L, 3)
    fired = step(X @ lines[:, :2].T + lines[:, 2])  # (4, L)
    matches = np.all(fired == targets[:, None], axis=0) | np.all(fired == 1 - targets[:, None], axis=0)
    return int(matches.sum()), len(lines)
