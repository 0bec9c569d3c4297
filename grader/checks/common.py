"""Building blocks shared by the check modules: declaring a check, seeded inputs and standard judges.

Every check is declared with `add`; a judge that needs every probe to have completed is wrapped in
`requires_ok`, which fails the check with the first error's message (a crash, a timeout, an import error).
"""

import functools
import zlib

import numpy as np

from .. import blame
from .base import Check, Probe, Verdict, first_failure
from .compare import compare_array, compare_scalar, inputs_problem, one_number, result_value, returned_type, warnings_text


def add(out, id, text, probes, judge, hint, concept, needs=None, calls=None, **kw):
    """Append a Check to the list out.

    id: "<group>/<slug>", stable (the rubric refers to it); text: the display sentence;
    judge(student, reference, probes) -> Verdict, closed over probes here;
    hint, concept: the full and the concept hint; needs: modules (default: the id's module);
    calls: a part the function may call (blame.SIGMOID, ...): when the check fails, it is rerun with a correct
    one patched in, and the part is named when that rerun passes (blame.with_correct);
    kw: the other fields of Check (depends_on, run_reference, kind, diagnose).
    """
    probes = tuple(probes)
    needs = tuple(needs) if needs else (id.split(".", 1)[0],)
    if calls:
        kw["diagnose"] = blame.with_correct(calls, probes, bind(judge, probes))
    out.append(Check(id, text, needs, probes, bind(judge, probes), hint, concept, **kw))
    return out[-1]


def requires_ok(judge):
    """judge, called only when every probe of the submission completed; else a failing Verdict with the first error."""
    @functools.wraps(judge)
    def checked(student, reference, probes):
        failed = first_failure(student)
        return Verdict(False, failed) if failed else judge(student, reference, probes)
    return checked


def bind(judge, probes):
    """Close a judge over its probes so the pipeline can call judge(student, reference)."""
    return lambda student, reference: judge(student, reference, probes)


def rng_for(seed, name):
    """A generator seeded by the rubric's seed and the check's id: stable across runs."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def call(module, function, *args, **kwargs):
    """A Probe that calls module.function; ndarray arguments travel as inputs."""
    inputs, spec_args, spec_kwargs = {}, [], {}
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            inputs[f"a{i}"] = a
            spec_args.append({"array": f"a{i}"})
        else:
            spec_args.append({"value": a})
    for k, a in kwargs.items():
        if isinstance(a, np.ndarray):
            inputs[f"k_{k}"] = a
            spec_kwargs[k] = {"array": f"k_{k}"}
        else:
            spec_kwargs[k] = {"value": a}
    return Probe("call", {"module": module, "function": function, "args": spec_args, "kwargs": spec_kwargs}, inputs)


def signature(probe):
    """'f(array (3, 4))' for messages of visible checks."""
    parts = []
    for a in probe.spec.get("args", []):
        parts.append(f"array of shape {probe.inputs[a['array']].shape}" if "array" in a else repr(a["value"]))
    return f"{probe.spec['function']}({', '.join(parts)})"


def warned(result):
    """How many warnings a `call` probe's function raised (0 when it did not say)."""
    count = one_number(result_value(result, "warnings"))
    return int(count) if count is not None and count.ndim == 0 and np.isfinite(count) else 0


def values_match(rule, kinds="f", scalar=False):
    """Judge: each probe's result equals the reference's. Values only: whether the function modified its
    input arrays is its group's own input-unchanged check (add_input_check), so it is charged once.

    kinds: the dtype kinds accepted ("f": floats only; "fiub": any kind NumPy promotes harmlessly)."""
    @requires_ok
    def judge(student, reference, probes):
        for s, r, p in zip(student, reference, probes):
            label = signature(p)
            expected = result_value(r)
            got = result_value(s)
            problem = (compare_scalar(label, expected, got, rule.rtol, rule.atol, returned_type(s)) if scalar
                       else compare_array(label, expected, got, rule.rtol, rule.atol, returned_type(s), kinds, p.inputs.get("a0")))
            if problem:
                return Verdict(False, problem + warnings_text(s))
        return Verdict(True, "matches the reference")
    return judge


@requires_ok
def inputs_unchanged(student, reference, probes):
    """Judge: every array argument of every call came back as it was passed (the probe returns argN after the call)."""
    problem = inputs_problem(student, probes, signature)
    return Verdict(problem is None, problem or "leaves its input arrays unchanged")


INPUT_HINT = ("work on a new array: z = z - z.max(axis=-1, keepdims=True), not z -= ... (which writes into the caller's array); "
              "np.asarray(x) and x.astype(x.dtype, copy=False) do not copy")
INPUT_CONCEPT = "a function should leave the arrays it is given as they were: its caller may still need them"


def add_input_check(out, group, probe, calls=None):
    """The group's one in-place check, "<group>/input-unchanged": the probe's array arguments come back as they were.
    Whether a modification matters depends on whether the caller reuses the array, so the rubric decides its points
    (advice for the helpers whose inputs the assignment never reuses). Code that computes nothing leaves its inputs
    alone too, so it counts once the group's value check passed."""
    return add(out, f"{group}/input-unchanged", "leaves its input arrays unchanged", [probe], inputs_unchanged, INPUT_HINT,
               INPUT_CONCEPT, run_reference=False, calls=calls, requires=(f"{group}/values",))


@requires_ok
def warning_free(student, reference, probes):
    """Judge: no call raised a NumPy warning (overflow, invalid value, division by zero)."""
    for s, p in zip(student, probes):
        if warned(s):
            return Verdict(False, f"{signature(p)} raised {warned(s)} numpy warning(s){warnings_text(s)}; "
                                  "the values may be right, but a warning means some branch computed inf or nan")
    return Verdict(True, "raises no numpy warning")


def dtype_is(kinds, what):
    """Judge: every call returned an array of one of the dtype kinds (e.g. "f", "floats")."""
    @requires_ok
    def judge(student, reference, probes):
        for s, p in zip(student, probes):
            got = result_value(s)
            if got is not None and got.dtype.kind not in kinds:
                return Verdict(False, f"{signature(p)} returned dtype {got.dtype}; the contract asks for {what}")
        return Verdict(True, f"returns {what}")
    return judge
