"""Comparing returned values with expected ones, with messages that say expected vs got:
the first differing element, its index, the input there, and the warning that caused it."""

from dataclasses import dataclass

import numpy as np



@dataclass(frozen=True)
class GradientParams:
    """Rubric parameters of a central-difference check of a derivative (sigmoid_grad, the Jacobian)."""
    eps: float = 1e-6  # the central differences' step
    max_rel_error: float = 1e-6  # the largest relative error that passes


SHOWN_ELEMENTS = 6


def fmt_array(a):
    a = np.asarray(a)
    flat = a.ravel()
    body = np.array2string(flat[:SHOWN_ELEMENTS], precision=6, separator=", ", suppress_small=False)
    return body[:-1] + (", ...]" if flat.size > SHOWN_ELEMENTS else "]") if a.ndim else f"{a.item():.6g}"


MAX_ITEMS = 4096  # elements of a returned list or tuple read as one array (the wire's MAX_MEMBERS)
MAX_NESTING = 8  # levels of lists in lists read as one array


def result_value(result, name="result"):
    """The array a probe returned under name, or None when it returned something else."""
    value = result.arrays.get(name)
    return np.asarray(value) if isinstance(value, (np.ndarray, np.generic)) else None


def meta_of(result, name="result"):
    """What the wire recorded about the value under name ({} when nothing, or nothing that is a dict:
    the student process writes the metadata, so it may hold anything JSON can)."""
    meta = result.meta.get(name) if isinstance(result.meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def numeric_value(result, name="result", depth=0):
    """result_value, or a list or tuple of numbers (nested alike) made one array, as np.asarray would
    make it: w = [1, 1] is as good a weight vector as np.array([1, 1]). None for anything else."""
    value = result_value(result, name)
    meta = meta_of(result, name)
    if value is not None or meta.get("container") not in ("list", "tuple") or depth >= MAX_NESTING:
        return value
    length = meta.get("length")
    if not isinstance(length, int) or isinstance(length, bool) or not 0 < length <= MAX_ITEMS:
        return None
    items = []
    for i in range(length):  # stops at the first item that is not a number: a forged list costs what it holds
        item = numeric_value(result, f"{name}.{i}", depth + 1)
        if item is None or (items and np.shape(item) != np.shape(items[0])):
            return None
        items.append(item)
    return np.array(items)


def scalar_value(result, name="result"):
    """numeric_value made a 0-d array when it holds exactly one number: b = np.zeros(1) is as good a bias
    as b = 0.0 wherever NumPy broadcasts it. Anything else is returned as it is (None included)."""
    return one_number(numeric_value(result, name))


def one_number(value):
    """value (an ndarray) as a 0-d array when it holds exactly one number (a loss returned as np.array([0.3])
    is the number 0.3); anything else as it is. NumPy 2 refuses float() of a (1,) array, so every judge that
    needs a number reads it through here."""
    return value.reshape(()) if isinstance(value, np.ndarray) and value.size == 1 else value


def returned_type(result, name="result"):
    meta = meta_of(result, name)
    if meta.get("type") == "other":
        return str(meta.get("description", "an unknown object"))
    if "container" in meta:
        return str(meta["container"])
    return "nothing" if name not in result.arrays else "an array"


def compare_form(label, shape, got, got_type=None, kinds="f", inputs=None):
    """None when got is a finite array of the given shape and dtype kind; otherwise a message
    (with the input at the first non-finite element when inputs has got's shape)."""
    if got is None:
        return f"{label} should return a numpy array, but returned {got_type or 'nothing'}"
    got = np.asarray(got)
    if got.shape != tuple(shape):
        return f"{label} has the wrong shape: got {got.shape}, expected {tuple(shape)}"
    if got.dtype.kind not in kinds:
        want = {"f": "float", "i": "int", "b": "bool", "u": "unsigned int"}
        return f"{label} has dtype {got.dtype}, expected a {'/'.join(want.get(k, k) for k in kinds)} array"
    if got.dtype.kind == "f" and not np.all(np.isfinite(got)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0]) if got.ndim else ()
        where = f" at index {bad}" if got.ndim else ""
        if inputs is not None and np.shape(inputs) == got.shape and np.asarray(inputs).dtype.kind in "biuf":
            where += f" (input {float(np.asarray(inputs)[bad]):.6g})"
        return f"{label} contains NaN or inf{where}: got {got[bad] if got.ndim else got}"
    return None


@dataclass(frozen=True)
class Mismatch:
    """Where two arrays of one shape first differ (C order), and how much they differ overall."""
    index: tuple  # of the first differing element; () for a 0-d array
    got: float
    expected: float
    count: int  # elements that differ
    size: int
    largest: float  # the largest absolute difference (nan when a value is not finite)
    shape: tuple = ()  # the compared arrays' shape

    def where(self, inputs=None):
        """'at index (3,) (input 0)' : the input is shown when it has the result's shape (element-wise functions)."""
        at = f"at index {self.index}" if self.index else ""
        if inputs is not None and np.shape(inputs) == self.shape and np.asarray(inputs).dtype.kind in "biuf":
            value = float(np.asarray(inputs)[self.index])
            at = f"{at} (input {value:.6g})" if self.index else f"at input {value:.6g}"
        return at

    def text(self):
        """'got 1, expected 0 (2 of 9 elements differ; largest difference 1)'"""
        extent = f" ({self.count} of {self.size} elements differ; largest difference {self.largest:.3g})" if self.size > 1 else ""
        got, expected = distinct(self.got, self.expected)
        return f"got {got}, expected {expected}{extent}"


def first_mismatch(expected, got, rtol, atol):
    """The first element where got is not close to expected (same shape), or None."""
    expected, got = np.asarray(expected, dtype=np.float64), np.asarray(got, dtype=np.float64)
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
    with np.errstate(invalid="ignore"):
        diff = np.abs(got - expected)
    largest = float(np.max(diff)) if np.all(np.isfinite(diff)) else float("nan")
    return Mismatch(index, float(got[index]), float(expected[index]), int(bad.sum()), int(bad.size), largest, tuple(got.shape))


def constant_factor(expected, got, rtol=1e-6, atol=1e-9):
    """c when got is c * expected element for element (one c, expected not all zero), else None:
    e.g. a gradient summed over a batch of N instead of averaged is N times the expected one."""
    expected, got = np.asarray(expected, dtype=np.float64), np.asarray(got, dtype=np.float64)
    if expected.shape != got.shape or not np.all(np.isfinite(expected)) or not np.all(np.isfinite(got)):
        return None
    scale = float(np.dot(expected.ravel(), expected.ravel()))
    if scale == 0.0:
        return None
    c = float(np.dot(expected.ravel(), got.ravel())) / scale
    return c if np.allclose(got, c * expected, rtol=rtol, atol=atol) else None


def compare_array(label, expected, got, rtol, atol, got_type=None, kinds="f", inputs=None):
    """None when got matches expected; otherwise a message naming label that shows the first
    differing element: its index, the input there (when inputs has got's shape), got and expected.

    Checks, in order: it is an array, its shape, its dtype kind, finiteness, values.
    """
    problem = compare_form(label, np.shape(expected), got, got_type, kinds, inputs)
    if problem:
        return problem
    miss = first_mismatch(expected, got, rtol, atol)
    if miss:
        where = miss.where(inputs)
        return f"{label} has wrong values{' ' + where if where else ''}: {miss.text()}"
    return None


def warnings_text(result):
    """'; it warned: RuntimeWarning: overflow encountered in exp (raised at activations.py line 9)', or ''.
    The text comes from the student process and is already inert; it only explains."""
    caught = getattr(result, "warnings", ())
    if not caught:
        return ""
    more = f" (and {len(caught) - 1} more)" if len(caught) > 1 else ""
    where = ("; np.where(c, a, b) computes both a and b for every element, so the branch it does not pick can still overflow"
             if any("where(" in w for w in caught) else "")
    return f"; it warned: {caught[0]}{more}{where}"


def compare_scalar(label, expected, got, rtol, atol, got_type=None):
    """None when got is a finite number close to expected (a 0-d array, a NumPy scalar, or an array holding
    exactly one number); else a message."""
    got, expected = one_number(got), one_number(expected)
    if got is None or np.ndim(got) != 0:
        what = got_type if got is None else f"an array of shape {np.shape(got)}"
        return f"{label} should return a number, but returned {what}"
    got = float(got)
    if not np.isfinite(got):
        return f"{label} returned {got}, expected {float(expected):.6g}"
    if not np.isclose(got, float(expected), rtol=rtol, atol=atol):
        shown, wanted = distinct(got, float(expected))
        off = abs(got - float(expected)) / max(abs(float(expected)), 1e-300)
        return f"{label} returned {shown}, expected {wanted} (relative difference {off:.2g}; the tolerance is rtol={rtol:g}, atol={atol:g})"
    return None


def distinct(a, b):
    """a and b printed with 6 significant digits, or with more when 6 would show them equal (up to 17)."""
    for digits in (6, 8, 10, 13, 17):
        shown = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return shown


def relative_error(analytic, numeric):
    """max |a - n| / max(|a| + |n|, tiny): the usual gradient-check figure."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    denom = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    return float(np.max(np.abs(analytic - numeric) / denom))


def vector_error(a, n):
    """||a - n|| / max(||a|| + ||n||, tiny) over sampled entries: robust to the entries near 0,
    where the rounding error of a difference quotient swamps an element-wise ratio."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12))


def central_differences(losses, points):
    """{key index: {flat index: (L(w + h) - L(w - h)) / 2h}} from the losses at points[j] = (key, flat, ±h)."""
    out = {}
    for j in range(0, len(points), 2):
        k, flat, h = points[j]
        out.setdefault(k, {})[flat] = (losses[j] - losses[j + 1]) / (2 * h)
    return out


def gradcheck_problem(analytic, losses, reference_losses, points, keys, limit):
    """(passed, message) of a gradient check whose central differences the grader forms itself.

    analytic: {key: the submission's gradient array or None}; losses, reference_losses: (P,) losses of
    the submission and of the reference at the same points. The analytic gradients must agree with the
    differences of the submission's losses, and those with the reference's (the loss must be the right one).
    """
    if losses is None or np.shape(losses) != (len(points),) or not np.all(np.isfinite(losses)):
        return False, f"forward(X, y, mode=\"eval\") did not give a finite loss at each of {len(points)} perturbed weights"
    losses = np.asarray(losses, dtype=np.float64)  # whatever numbers they are (bools subtract only as floats)
    mine, ref = central_differences(losses, points), central_differences(reference_losses, points)
    errors, wrong_loss = {}, []
    for k, key in enumerate(keys):
        a = analytic.get(key)
        if a is None or not np.all(np.isfinite(a)) or a.size < max(mine[k]) + 1:
            return False, f"gradients[{key!r}] is missing, has the wrong shape or is not finite"
        flats = sorted(mine[k])
        numeric = np.array([mine[k][f] for f in flats])
        errors[key] = vector_error(a.reshape(-1)[flats], numeric)
        if vector_error(numeric, np.array([ref[k][f] for f in flats])) > limit:
            wrong_loss.append(key)
    # The points are fresh each grade (grader.challenge.fresh_rng): the messages name keys, never the errors' figures.
    wrong = [k for k, e in errors.items() if e > limit]
    if wrong:
        return False, (f"the analytic gradient of {', '.join(wrong)} disagrees with central differences of your loss "
                       f"(relative error above {limit:g} at the points the grader chose)")
    if wrong_loss:
        return False, (f"your gradients agree with central differences of your own loss, but that loss "
                       f"differs from the reference's near these weights (in the direction of {', '.join(wrong_loss)}), "
                       "so the gradients are of the wrong function; see the loss check")
    return True, (f"all four gradients agree with central differences at {len(points)} points the grader chose "
                  f"(relative error at most {limit:g})")


def unchanged(label, before, after):
    """None when an input came back unmodified; else a message."""
    if after is None:
        return None
    if np.shape(before) != np.shape(after) or not np.array_equal(np.asarray(before), np.asarray(after), equal_nan=True):
        return f"{label} modified its input in place; work on a copy (for example x = x - m, not x -= m)"
    return None


def repeat_problem(s, keys, rtol, atol):
    """None when a second forward on the same network (outputs "again.*" of the net_forward probe with repeat)
    gave the first call's loss, accuracy and gradients (keys); else a message. Whether they are right is
    the other checks' question: a wrong but stateless forward passes here."""
    problem = None
    for i, what in ((0, "loss"), (1, "accuracy")):
        first, second = scalar_value(s, f"result.{i}"), scalar_value(s, f"again.result.{i}")
        if first is not None and second is not None:
            problem = problem or same_values(f"forward(X, y) {what}", first, second, rtol, atol)
    for k in keys:
        first, second = result_value(s, f"gradients.{k}"), result_value(s, f"again.gradients.{k}")
        if first is not None:
            problem = problem or same_values(f"gradients[{k!r}]", first, second, rtol, atol)
    if problem:
        return (f"a second forward(X, y) on the same network, with the same X and y, differs from the first: {problem}; "
                "state must not carry over from one call to the next")
    return None


def same_values(label, first, second, rtol, atol):
    """None when a second call's value equals the first call's (same shape, close, NaN where NaN); else a message.
    Both come from the submission, so neither is trusted to be a number or an array of floats."""
    shown = f" (the first call gave {float(first):.6g})" if np.ndim(first) == 0 else ""
    if second is None or np.shape(second) != np.shape(first):
        got = "nothing" if second is None else f"shape {np.shape(second)}"
        return f"{label}{shown}: the second call gave {got}, the first shape {np.shape(first)}"
    a, b = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if np.all(np.isclose(b, a, rtol=rtol, atol=atol, equal_nan=True)):
        return None
    miss = first_mismatch(a, b, rtol, atol)
    where = miss.where()
    return f"{label}{shown} differs from the first call's{' ' + where if where else ''}: {miss.text()}"


def end_sentence(text):
    """text ending with one full stop: 'it.' stays 'it.', 'on one side?' stays as it is, 'it' becomes 'it.'."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


def trace_problem(call, s, r, rtol, atol):
    """None when train_perceptron's (w, b) in result s equals the expected r's; else a message that starts with call
    (how the student may reproduce it) and says which part is wrong: w's shape, b, or the values."""
    w, b = numeric_value(s, "result.0"), scalar_value(s, "result.1")
    ew, eb = result_value(r, "result.0"), result_value(r, "result.1")
    if w is None or np.shape(w) != np.shape(ew):
        return (f"{call} returned w of shape {np.shape(w) if w is not None else None}; "
                f"expected (w, b, converged) with w of shape {np.shape(ew)}")
    if b is None or np.ndim(b) != 0:
        return f"{call} returned b of shape {np.shape(b) if b is not None else None}; expected a number"
    w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not (np.allclose(w, ew, rtol=rtol, atol=atol) and np.isclose(b, eb, rtol=rtol, atol=atol)):
        return (f"{call} returned w={np.round(w, 4).tolist()}, b={float(b):.4g}; Rosenblatt's rule from w=0, b=0, visiting the "
                f"samples in the given order for at most max_epochs epochs, gives w={np.round(ew, 4).tolist()}, b={float(eb):.4g}")
    return None


def inputs_problem(student, probes, label):
    """None when every array argument of every call came back as it was passed (the call probe returns argN after
    the call); else the first change. label(probe): how the call is named, e.g. 'softmax(array of shape (5, 7))'."""
    for s, p in zip(student, probes):
        for name, before in p.inputs.items():
            problem = unchanged(label(p), before, s.arrays.get(f"arg{name[1:]}"))
            if problem:
                return problem
    return None
