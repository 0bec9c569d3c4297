"""Building blocks shared by the check modules: seeded inputs and standard judges."""

import zlib

import numpy as np

from .base import Probe, Verdict, first_failure
from .compare import compare_array, compare_scalar, result_value, returned_type, unchanged, warnings_text


def rng_for(seed, name):
    """A generator seeded by the rubric's seed and the check's name: stable across runs."""
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


def values_match(rule, kinds="f", scalar=False, check_inputs=True, no_warnings=False):
    """Judge: each probe's result equals the reference's, inputs unmodified, optionally no warnings."""
    def judge(student, reference, probes):
        failed = first_failure(student)
        if failed:
            return Verdict(False, failed)
        for s, r, p in zip(student, reference, probes):
            label = signature(p)
            expected = result_value(r)
            got = result_value(s)
            problem = (compare_scalar(label, expected, got, rule.rtol, rule.atol, returned_type(s)) if scalar
                       else compare_array(label, expected, got, rule.rtol, rule.atol, returned_type(s), kinds, p.inputs.get("a0")))
            if problem:
                return Verdict(False, problem + warnings_text(s))
            if check_inputs:
                for name, before in p.inputs.items():
                    idx = name[1:]
                    problem = unchanged(label, before, s.arrays.get(f"arg{idx}"))
                    if problem:
                        return Verdict(False, problem)
            if no_warnings and result_value(s, "warnings") is not None and int(result_value(s, "warnings")) > 0:
                return Verdict(False, f"{label} raised {int(result_value(s, 'warnings'))} numpy warning(s){warnings_text(s)}; "
                                      "it must be warning-free")
        return Verdict(True, "matches the reference")
    return judge


def bind(judge, probes):
    """Close a judge over its probes so the pipeline can call judge(student, reference)."""
    return lambda student, reference: judge(student, reference, probes)


def adder(out, module):
    """add(name, probes, judge, hint, **kw): append a Check of `module` to the list out."""
    from .base import Check

    def add(name, probes, judge, hint, **kw):
        probes = tuple(probes)
        out.append(Check(name, (module,), probes, bind(judge, probes), hint, **kw))
    return add



