"""The theory part: Jacobian by central differences, perceptron truth tables, XOR's impossibility."""

import numpy as np

from grader.experiments.theory import (POINTS, TARGETS, Gate, XorNet, central_differences, collect_theory,
                                       count_separating, perturbed, read_theory, theory_calls)
from grader.harness.helpers import softmax, softmax_jacobian
from grader.paths import REFERENCE_DIR
from grader.sandbox import CallResult
from grader.submission import open_submission


def test_central_differences_of_softmax_match_its_jacobian():
    z, h = np.array([0.5, -1.0, 2.0]), 1e-5
    values = softmax(perturbed(z, h))  # (6, 3)
    numeric = central_differences(values[:3], values[3:], h)
    np.testing.assert_allclose(numeric, softmax_jacobian(z), atol=1e-9)


def test_the_perturbed_inputs_move_one_coordinate_each():
    rows = perturbed(np.zeros(3), 0.1)
    assert rows.shape == (6, 3) and rows[1].tolist() == [0, 0.1, 0] and rows[5].tolist() == [0, 0, -0.1]


def test_no_line_on_the_grid_separates_xor_while_and_and_or_have_many():
    assert count_separating(TARGETS["XOR"])[0] == 0
    assert count_separating(TARGETS["AND"])[0] > 0 and count_separating(TARGETS["OR"])[0] > 0


def test_gates_and_the_xor_net_fire_where_x_dot_w_plus_b_is_positive():
    assert Gate("AND", np.array([1.0, 1.0]), -1.5).correct
    assert not Gate("OR", np.array([1.0, 1.0]), -1.5).correct  # that is AND
    net = XorNet(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -1.5]), np.array([1.0, -1.0]), -0.5)
    assert net.outputs(POINTS).tolist() == [0, 1, 1, 0] and net.correct


def test_the_references_theory_checks_out_in_the_sandbox():
    theory = collect_theory(open_submission(REFERENCE_DIR).modules)
    assert theory.errors == {}
    assert theory.jacobian.relative_error < 1e-6
    assert [g.name for g in theory.gates] == ["AND", "OR"] and all(g.correct for g in theory.gates)
    assert theory.xor_net.correct


def test_failed_or_misshapen_calls_become_errors_not_crashes():
    ok_gate = CallResult("ok", "", {}, {"result.0": np.array([1.0, 1.0]), "result.1": np.array(-0.5)}, 0.0)
    results = [CallResult("error", "raised NotImplementedError", {}, {}, 0.0),
               CallResult("ok", "", {}, {"result": np.zeros((10, 5))}, 0.0),
               CallResult("ok", "", {}, {"result.0": np.zeros(3), "result.1": np.array(0.0)}, 0.0),
               ok_gate,
               CallResult("ok", "", {}, {}, 0.0)]
    theory = read_theory(results)
    assert theory.errors["jacobian"] == "softmax_jacobian raised NotImplementedError"
    assert "expected (2,)" in theory.errors["AND"]
    assert [g.name for g in theory.gates] == ["OR"]
    assert "xor_network returned no numeric W1" == theory.errors["xor_network"]
    assert len(theory_calls()) == 5
