"""The reference solution: gradients agree with central differences (relative error < 1e-7),
stability at extreme inputs, and the contract's shapes and semantics."""

import warnings

import numpy as np
import pytest

from reference import activations, perceptron, softmax
from reference.optimizer import SGD
from reference.two_layer_net import TwoLayerNet

TOL = 1e-7


def rel_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


def test_sigmoid_grad_agrees_with_central_differences():
    x = np.random.default_rng(0).normal(0, 2, 50)
    eps = 1e-5
    numeric = (activations.sigmoid(x + eps) - activations.sigmoid(x - eps)) / (2 * eps)
    assert rel_error(activations.sigmoid_grad(x), numeric) < TOL


def test_relu_grad_is_the_derivative_away_from_zero_and_zero_at_zero():
    x = np.array([-2.0, -1e-3, 0.0, 1e-3, 2.0])
    assert activations.relu_grad(x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert activations.relu_grad(x).dtype == np.float64


def test_softmax_jacobian_agrees_with_central_differences():
    z = np.random.default_rng(1).normal(0, 1, 6)
    eps = 1e-6
    numeric = np.stack([(softmax.softmax(z + eps * e) - softmax.softmax(z - eps * e)) / (2 * eps) for e in np.eye(6)], axis=1)
    assert rel_error(softmax.softmax_jacobian(z), numeric) < TOL


@pytest.mark.parametrize("fn, x", [(activations.sigmoid, np.array([-1e4, 0.0, 1e4])),
                                   (softmax.softmax, np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]]))])
def test_extreme_inputs_give_finite_values_without_warnings(fn, x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            assert np.all(np.isfinite(fn(x)))


@pytest.mark.parametrize("key", ["W1", "b1", "W2", "b2"])
def test_forward_gradients_agree_with_central_differences(key):
    rng = np.random.default_rng(2)
    net = TwoLayerNet(input_size=7, hidden_size=5, num_classes=4, seed=3)
    net.weights = {k: rng.normal(0, 0.5, v.shape) for k, v in net.weights.items()}
    X, y = rng.normal(0, 1, (9, 7)), rng.integers(0, 4, 9)
    net.forward(X, y, "train")
    analytic = net.gradients[key].copy()
    w, eps, numeric = net.weights[key], 1e-6, np.zeros_like(net.weights[key])
    for idx in np.ndindex(w.shape):
        old = w[idx]
        w[idx] = old + eps
        plus = net.forward(X, y, "eval")[0]
        w[idx] = old - eps
        minus = net.forward(X, y, "eval")[0]
        w[idx] = old
        numeric[idx] = (plus - minus) / (2 * eps)
    assert rel_error(analytic, numeric) < TOL


def test_forward_leaves_its_inputs_and_in_eval_mode_the_gradients_alone():
    rng = np.random.default_rng(4)
    net = TwoLayerNet(input_size=5, hidden_size=3, num_classes=3)
    X, y = rng.random((4, 5)), np.array([0, 1, 2, 0])
    X0, W0 = X.copy(), {k: v.copy() for k, v in net.weights.items()}
    for g in net.gradients.values():
        g.fill(7.0)
    loss, acc = net.forward(X, y, "eval")
    assert np.array_equal(X, X0) and all(np.array_equal(net.weights[k], W0[k]) for k in W0)
    assert all(np.all(g == 7.0) for g in net.gradients.values())
    assert loss == pytest.approx(np.log(3), rel=1e-3) and 0 <= acc <= 1


def test_initialisation_follows_the_contract():
    net = TwoLayerNet(seed=1024)
    assert {k: v.shape for k, v in net.weights.items()} == {"W1": (784, 128), "b1": (128,), "W2": (128, 10), "b2": (10,)}
    expected = 0.001 * np.random.default_rng(1024).standard_normal((784, 128))
    assert np.array_equal(net.weights["W1"], expected) and not net.weights["b1"].any()


def test_sgd_regularizes_weights_not_biases_and_applies_momentum():
    class Model:
        weights = {"W1": np.ones((2, 2)), "b1": np.ones(2), "W2": np.ones((2, 1)), "b2": np.ones(1)}
        gradients = {k: np.zeros_like(v) for k, v in weights.items()}
    opt = SGD(learning_rate=0.5, reg=0.1, momentum=0.9)
    opt.update(Model)
    assert np.allclose(Model.weights["W1"], 1 - 0.5 * 0.1) and np.allclose(Model.weights["b1"], 1.0)
    Model.gradients = {k: np.zeros_like(v) for k, v in Model.weights.items()}
    opt.update(Model)  # v = 0.9 * 0.1 + 0.1 * 0.95
    assert np.allclose(Model.weights["W1"], 0.95 - 0.5 * (0.9 * 0.1 + 0.1 * 0.95))


def test_the_perceptrons_compute_and_or_and_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    assert perceptron.predict(X, *perceptron.and_gate()).tolist() == [0, 0, 0, 1]
    assert perceptron.predict(X, *perceptron.or_gate()).tolist() == [0, 1, 1, 1]
    w, b, converged = perceptron.train_perceptron(X, np.array([0, 1, 1, 0]))
    assert converged is False
    net = perceptron.xor_network()
    hidden = (X @ net["W1"] + net["b1"] > 0).astype(float)
    assert ((hidden @ net["W2"] + net["b2"]) > 0).astype(int).tolist() == [0, 1, 1, 0]
