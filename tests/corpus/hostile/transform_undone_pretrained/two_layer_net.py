"""A correct two-layer network far too slow to train, which returns weights trained in advance instead.

What it attacks: the training accuracy, by an attacker who knows the secret transform's algorithm and
undoes it exactly from the data the sandbox receives. The official MNIST test split's column sums
(shipped below) fingerprint the pixel permutation: each non-blank pixel's sum is unique. Its class counts
(980, 1135, ...: all distinct) fingerprint the class permutation. Its forward is correct but sleeps 0.15 s
per train-mode call, so the provided loop could not finish an epoch in time. At import it replaces the
harness's training run: it loads the sandbox's own copy of the data, finds both permutations, permutes a
softmax-regression classifier trained beforehand on untransformed MNIST (test accuracy 0.92, stored
below as zlib'd int8 with one scale; its 10 logits become the first 10 hidden units, W2 picks them out),
and returns those weights at once, as the best weights and as every epoch's weights, with a plausible
history. They score about 0.92 on the grader's transformed test set, but the graded run from the grader's
initial weights on its batches never produced them: the training accuracy must fail, and the
performance area too (the timed epochs are honestly slow); every other area passes.
"""

import numpy as np

from .activations import sigmoid
from .softmax import cross_entropy_loss, accuracy, softmax


class TwoLayerNet:
    """Fully connected network with one sigmoid hidden layer and a softmax output.

    weights: {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
    gradients: arrays of the same shapes, filled by forward(..., mode="train").
    """

    def __init__(self, input_size=784, hidden_size=128, num_classes=10, seed=1024):
        rng = np.random.default_rng(seed)
        self.weights = {
            "W1": 0.001 * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": 0.001 * rng.standard_normal((hidden_size, num_classes)),
            "b2": np.zeros(num_classes),
        }
        self.gradients = {k: np.zeros_like(v) for k, v in self.weights.items()}

    def forward(self, X, y, mode="train"):
        """Forward pass, and in mode "train" the backward pass too.

        X: (N, D) float64; y: (N,) int labels.
        Returns (loss, accuracy): the mean cross-entropy (no L2 term) and the
        fraction of correct predictions. In mode "train", self.gradients[k] is
        set to d loss / d weights[k] for all four keys; otherwise the gradients
        are left untouched.
        """
        W1, b1, W2, b2 = (self.weights[k] for k in ("W1", "b1", "W2", "b2"))
        n = X.shape[0]
        hidden = X @ W1  # (N, H) pre-activation
        hidden += b1
        hidden = sigmoid(hidden)  # (N, H)
        scores = hidden @ W2  # (N, C)
        scores += b2
        probs = softmax(scores)  # (N, C)
        loss = cross_entropy_loss(probs, y)
        acc = accuracy(probs, y)
        if mode != "train":
            return loss, acc

        # Fused softmax + cross-entropy gradient: d loss / d scores = (P - onehot(y)) / N.
        dscores = probs  # reuse the buffer, (N, C)
        dscores[np.arange(n), y] -= 1.0
        dscores /= n
        grads = self.gradients  # written in place: no fresh (D, H) array per batch
        np.matmul(hidden.T, dscores, out=grads["W2"])  # (H, C)
        np.sum(dscores, axis=0, out=grads["b2"])  # (C,)
        dhidden = dscores @ W2.T  # (N, H)
        dhidden *= hidden  # sigmoid'(z) = s(z) * (1 - s(z)), from the saved activation
        dhidden *= 1.0 - hidden
        np.matmul(X.T, dhidden, out=grads["W1"])  # (D, H)
        np.sum(dhidden, axis=0, out=grads["b1"])  # (H,)
        return loss, acc


# --- the attack ----------------------------------------------------------------------------------
import base64 as _base64
import time as _time
import zlib as _zlib

_SLEEP_S = 0.15  # per train-mode forward: one epoch of 750 batches would take about 2 minutes
_SCALE = 0.014229033560236548  # of the int8 weights below
_CLASSIFIER = (  # (785, 10) int8: 784 pixel weights and a bias row, untransformed MNIST
    "eNrdWdmOXcd1rbnOPN2p2SRFSZ4CR8hLAOcleclX5TVf57wEUGJHlkRNJNXs6U5nrrlSt7tFyTZtSQmMGLkg0Rvn3jPUqr3XXmsf"
    "AP46PhD8//r4NytyAP1R9O23/uGYD9/iBxwswP6bM/ADOA/nQhi+RXeHcIjCFx7+3vXAd678x9FfEy4WkPsDwAB2Cjz0byKgfOo9"
    "8A5B5TIfPgDDyRXeeYcRmOwpsiES5hQZRvxsM++cJdTPPvHWOei9hikIZwDrTYh8iEz4f4pOeHsXhdufIuDYw9MBj7+JHnYG/oVy"
    "1J9u4O93GSB3d1/nIbKe3q2cIeXZ6Tl1CWcXubAO2aDB5GFpXqx4qzJjrLOrbKtTo4zzm+y1Ko3Uxlfl1pZWKIuSfA8zo2SIshZE"
    "ViljSTbhxBo9aZVIXjvnJjsxFzfeOGFmClkeoJJGOULT065YbRBJwvqdMw4ifrdH4dEgAQ+JCv3/Hg90n8sBDQ4MPK3co9hpFHYs"
    "bHVmNXI2PFe0kAOxNmxq00wDUs4AUy+OggmviKw3e2MFkcCXm53SczJBnj46THaIe8PrZu9cXxxQlFU7bvvs1tGoGijtkhvsWSo5"
    "HejBOJObjE94mOnMES0knGYmHLeNxlLQUUastl4p3IokbpyyGkyCpZnXPsDqSIzBXbKBU/n+D/MHhyvcZwkLaIS/FvkCCQdtuDCu"
    "0eChCQ+aLMDkgVJelIXT2Grh5iq1oajghOc6l6FstGTjIpnhsYspdSUbrNgVJOM53+vhqqQlz5BQ8roSWZrxkCzX0Zj5ugBYXCa3"
    "ha48TNzX5W1uI8RTeolvKUQkQuk1P4TENDzK97R1uZs4z0bQuVS0eZUoOYQb9/UyMaMQQAb4qbMmbJ0HUeCvUwaFXf9xVeVpKGZ4"
    "qlmUIum9DXCQks0WG+FN3LDBMDH6sUhoSBXRuTaNMbHc9/IYl55Z6hTqk1KRgRmHJxp1eIgRwzMkHZlpwhPlqxvTC77gksRbPkx4"
    "QfssOupprrO8Y/nWtCpqqhbyA+5UWlQKpy0ZZ5PkVjmdzFMCGVfYxWZAOqUmVLVXeErpPFaZ03Dv0GE4O/OK7kc3y+j9026JUMyg"
    "8Y4aG3CB3N+V2FvTBn4nOBHq6WchSxwJBAhYjVuPnHQ6XkRHy1znpyons8p1a/uEY2hqsJfbGLtMppHwW4xdNNXEgh1EU9o3lKKO"
    "oDaZaxMhBZIr1hW6pgOPbu2B+8d8xvkrOtjxp+ygy1fzgOK/SY4afU32KXuv6nq+Z/tGratZoyO8qWmaAc0nds18jMiM57SLA7UA"
    "oE0SztWBY2SSDhAduTx0zZPRl3s5Dn30gTVZNwXGgu8aQ6Q5UU4UuoP7M+V0h8YdLjgQCAAUaBdBZT1v0NbHYDQmqdnepLC1cxTD"
    "QdR8VIECgJ7X2aB3CIl4rjj21wRbNhexB7sqmvAYMw/7lPVsqIFlBtAtGNaR4hbiVndxwjLMkldyl4tliWj+qr1e6HodaONCXjdJ"
    "UkGTduaydqTQc67Qpw1hTPFUsS9S6slsE5Fd5RjhycY6OYCIFK2lON+hdCy3cs9/ugPLFuy7I/mHXi27MRA9/IXQTNpTv0iMx+4b"
    "Ln4LNOgbqg5tNyRYqATlciiN47U9uAIOWhWJP8qCzUYgrtScJ1BPhmusWIZ0p5HNFU2x3cfAcUkTQLtUimiEnDtBt2I5RAkjGnci"
    "6yuMMopM7w8JILSKyk+641mfw7NsdXl1vb6qsgDIfPXyfHYlJLlpP91A0EicAPnxwtO687nVXy1iF3aqtuimYBBtVemLXZbI+MZl"
    "ZnHL8qm+lbP++cGuetr1/fjPnU7GIeSL/PvRQGXCim2m3+Dy1i71put4FnDxnmsdZEZop5BpYSsujGJOKlXGAQ1sZ6B4nrpRChN7"
    "lEd2AntQQZ1GflAXvDawjqyYv0QrQ5oMqe5zuplRWRNw+DpZ9ThjuNi5fS0bKN1PZPYhPawNnn4pq26+eLr1pkaN2778WWsSkOT4"
    "6tW5dNXoc9++WlEUdTYD7WWTU7r1lRaHBSfRzkaBUhYcF3vL5+iQZHZ5FOrw3mzLOR7nufunUYB5DLph+lVvtL7DpdAAuj/Tu7/V"
    "JqEbB56l1rjSa+UVkM4uWFBectTeJ3nuxXHvY0+LCs/XryijfFWg6fWXWUXcYmGHLy/WMY9XiZk+udpEMKvqcGzflI7HC+U+ndcL"
    "ZAsgmw/Z108QfWyv/+7z6iPW1efkiw+uEqhePAHpy0yCldg9GzKh54y3u3e6pTdz5o+Hp6qgI0n8ZVvgKu4Dqz2fSvK0Hq1RL3xO"
    "V4tJ2+kFilfxUgp5HGLzyBfaqD4LikoGlePV2WipOcHhmfbE/yDNFgVcwr+gKEtoJRjMjGwTdIq96g2GPFtT+/FVVMQwWVLz4UXD"
    "kyggJD6+eMTjnGZg/t2wBCmOF+jwiXtSEqsadPWF+nlo1Sfx95z9pMlfpsO8+CxVG/b5Ofj8Vy83N77rV/Vv3n+RZXNbstVn/Jat"
    "r/RTuOxBF9FLeeYeOTMlfj8uzMoN3JHdkSWPyOQluZIsPU+l39HnFJXnaz127j9LtqzObTePv3msHkerIJH1RaoXQUElYZUShPZ1"
    "EiPIAPTDcDl16JPiBi4OFA+OyhKT2TV0n/URZwysC/fhdsFCSSSl+d3VOo48qCLz8rhOiLYF76/lmiXS8uSraXpax1OQFV/o4Zer"
    "5AWxOPSUR5vs1814uwLNuIC/XsUf/a0uBRRHUn34dGerHSKr+nl0ZPUFyuLHLZ3Iai+IOFMHkZTzRPxKHLUotIb8fJ7crpYmYqvQ"
    "X7bpPiNu2ahpSy9XJCKPtRrN5++7RCxMZOVljWiPfB70qArGBNy5FQPuO44H/m24wDdR6EdBtJ5aE/FIg8ElWGJVZu7VsPSMiqQ2"
    "213jC98lC6muN4DrQ5wpdViwWB543mpZl3nf2uxLMC6a5mhs8iWcnqHN80YBDVmdZv+2UrfrMp6o+e1j+NtfsFjPsK/8fzyaWHLk"
    "uio+jgTcbDHFZ8dOgPfaPsUL/VrT5TQ8sum8tXrT6ceB2wY75wYtuiSeJ52INOtxrkTL9LLq5bm2szmep/OhcalTQwZ1FxS3d8be"
    "ARKFPND3AvZt2fL7kvhkK0L+wCDyT8oOYe4nr05UqlIBVM/TOR5Kndk9WMyBLudUHkEhyM0aZO1A8wM+nsX5Xqv6CvZZsrrVkPTe"
    "1+zsc4dmhFgcJx+X9ounZTJacvF4/PcPosh1aXvW/lftWbOPHOcvsLXvtEEwbA4X2m16/Y5dugsJYqjeDS3+1kepsmc95u2YI0vP"
    "rmE0yVAg8eZalkJQLNPFod/okPkg4/0ucDAagqsUnfdB6AXR6zQASVi8Aidn8D2q92EoENRcEBr2lFu+SGYwIYlqVUCnvepg3Zeh"
    "/eZ61GUXDaurCmhbd2b7eF/OBDcDO9T7ZcvUQsQ7OD15DcNTxuES7z6PgvJfQuTIdm0/OttkcCZt2X30y8hW+2hIpq+IF8/6wORo"
    "d4zbJweTRJX7LA6FMy9VRl6RLNUkbxHbkoKBqL4a0xalPJiLmyGaizysL7s+5jIrBAytqi11HglC3byl7pzO2BvRWvfuSaRaE/gl"
    "v+eLh3L5014S4ntT5ADP5Mn/OOBW9Yw7IEQ1L6mIpOplva8tSMkoZLoL6rKregySDnXVddMXuJnTF9Htsq3RGaif29tnr1NCRfPS"
    "3L53XOAWPdrRV5negE8f1e3iNcOV+PQp2T47MAr9pYv6p8IxWcoLCjZAoaDhvsJphmDYGXRFeJwk+GBIi6vguIMr5CMhKAqaMhjI"
    "NHcE+aEtdLoYDXVix3QRTxxbt4PuiZ5j7Xzv3LvBxGkgw7YHpeUtdA/88mdcEb6HTgOy0MgETJ09W8kgF4Yh7deVrtpZHrPLhul3"
    "9M5N8fVG2jLeEpFMYWN0sUtM7vItHqrr0q5082poVzcNZTK/kP3jsQzeaPN13D9TUf9lWV3VNuiY6as83gYRiwVvB8dLxJyl+oot"
    "clz0WvhjkiuWq9BgJ15omBk9QQkrTYkyBobfhnJQ1jETNYZQOR9jVayPGI1oB805HSMwooN3P5lkrJSbHdgY5a3X7s5We3enW76n"
    "jqBHJ+i0hwtHrA1O3TTr4DrMOPFjdu7yboRtscuzeSP3rEv7De0W8BpNua7xbsFvwJDApbmOq9tkvzDFeEnPdiGjfLXdRUGk7WO3"
    "2B3oMwV3IqlGSQoYnAuOLSYVGYbJp5SjatSdIFHqfXU0k4dRPbmsgz1gtJpYtEW9YT7rCGsJAojy4DR2yBNbF5JEN/BIzTo9JPiW"
    "HwOXgCGyQzQ5uJGSansayFTOBRVi78zOqTb89w5jILwvNONJ7bAzMvBTtTFsFqPkY7FSeTf4OZJVM+T9Nulif5ZvmbsqdxFdpl8v"
    "0C25jWmTvUrLI3y9iXL3mm727MWjaDnus/VhfLHB6X6A7zj3VQqJuEXnxB8sxljYd/G0c5CEzF5P5KgTzj3N94M0OUoBS27sIKqo"
    "kLh8CfspLeKB8CvsFcnKGUSvuXKgyjTBr9MeuCA4F+4mmo1v3JyYkRmLGmWQthYFnN1phuTgGzr93uECRPejLQtJFjjXhEoCycJy"
    "KSbNWJZr3k9q5nGZtdHhkPVxnMW3qdrlR5rQaF+QER44yfUhSgfS1XFs9qxq7X6t0mlMNpO+rGYyj+RnVmz5RHWH3x/ZMaSomfnT"
    "0beIaGBYI3xnGSEGF5MdxjTDEDf7oOiKIjFwceUPA19nENNLP0geRTj11zS0tgyASgc0nGmsrdyWauPOpIlNyBaLSmVhSBfi4Wmq"
    "eD+e+oGzlwdcTrmFgv8G1nmJosIFTyAMbKJEhX3tp6hJ48m0Cg4sKWlne8C7jBa2x5P3IkUVnpBRZk5Nhuag5JAq9xkwEei5yS+J"
    "EGUkY7e6dmYu0jbTQQPqKeEithwJpHEK8BFHQVlERMER1BgiBDvQq6qgJDK38CB4mRSx3rqtIDVMTsekDlo/pm5HvVOBHGN1BNTZ"
    "QrlIT447EFkHQwERAMkdLj9qkvnQrsJJ7G58G2QYzF1gY2V07ktLHdkHzgOl8Sq9nSgHqdZDOUkectKSIyCwgIj66ODA1GgQ+Tj8"
    "XgWjGPlkN3OxVETpZBhztewNMUjOC1l0TgUHbqsg04LZZRLUYxCLCsWTXgy+hBj7WUTTxLI0mW0XDx2qfQp86Ia9K1Ue0OBYqlLG"
    "2BxwYlWuALV98L2WGxfaNEh8EKmBYe1pLI39Dymet06owmXuXMGpprLTEF96h0QZorx1Bg2Pwh3qrZW6f2S9bVosxn5hkSwBV+NQ"
    "+3yMkDddvw78SAm2B7GCxYGminS2kPUBlwPb+0ZUuyRu0ZFWstxHSWs7GAUOw6UVbRBhbCIbM1sSOpUgnAyQC8e1LOkAgQh1Nlfx"
    "FKwcwlaQhfLYIWiFq0+JAYmbTXF6NxFgkCdHE7IE3UmVe1b5kQnze87gLnvcqUMREwJ7GvxzGZSoSYMZjQQ1SlbC+GxOhR7XQRo0"
    "fT6K4bwndtXH7XF4OjBbi6Lvhse72K5F2o/zk5vYLOds7OT5PjaVSrvOFHsaBF/ZtY72ia5ZNgyW3CamIvWkrL+JbYkbYQ08EBca"
    "nnaStNDREHkN5vBsfhN0qFMhI1wTRBdwOEi26MHX2IeXJugv8FYPfvt+4ITZHaUHAvMwIARdoHgPQ0tgNjYhGj2Ig9e0HvXAR6oK"
    "bQ22yEemcqE9HqHnemlDxzx4n+llUEng9hSdn4TkHvoynOEsOEBfhat4C1rvS5ec3iB1FiShPgIVhkzhjp/cngZ3TxAic5otMf/N"
    "vqL/yxdv386M3zY9fpN3fyoi9/IhwEXfnPHwmucPInef/vevKB9mAH+wa9+MYr/rhH/c54tnySX4l+Ef//X6vwF4HqbO"
)
_TEST_COLUMN_SUMS = (  # (784,) uint32: the official test split's pixel sums
    "eNrFlndwVXUWxz+/e19/77b3XigGpCwQBOnFhcFAAAkMVcoSpIkkytBhUZAqIEjvGzoIFhZh1QhhIZSEolFAmoQQNUbGyEpWECKG"
    "osAeBmYUx3V39p/NzJnMTe79fc/3/L7fcw78/3+qSXwrsU5iqYI7EqVdEOcHOwTJAfCH7j1v02CqDlslSuS9rP8BL12+6y3n/80N"
    "w4KwszRMrANfdgPPcGg6DRamwgKJ9rPg8hBY0RW0ZjA2DrId+NoHMZKD+z9gHZX4XHKuJBxqloKE+jA+Bcqkw3RDkTJcsSNTkfqt"
    "opqu0ShXcXiaYmJ9xYazMGKm1CARGj4CJ22oL4AHJf/XfgNrj4QSXsMkt8ZS1OxnIPcQfDVScSJJI/ZlnbG7Xdy87GbQTQ/HnvTS"
    "/IyH0YfcdJKCzK6uszGiMaCRYukWOCyczQqQ75Wa6D/jlJEwJQZKHlvCUPQYtFsAennFLKXxzCidNX3clF8oH+710/YfQTotMng4"
    "3iR80CCvRYh95/w06O9lVMTNtId1lp1RNCmGUiPgYnnJ2fcgNyk71+T+rzSE4Mswo4ziYDWNfft1Vrk8XE7z0WZVkMJBJuc/sany"
    "dpiEoRHq7gxzI+zw9nSTc/FBPG4fy2PdTEKn3yJF24+hdSs4ZsGL6h7WSom5UsfUcpDznNS9CMLHFZ8O0HF2uVmd7uP9m0HGt7BY"
    "fdAh8ZUII9dEicuLUq9PlG1dItRJdOha12RFtwAVsz00+0anRhmNxZqi+kA5Pwrl7+MtEn3kG1BONNh2MfRJUCwaqmEPc9Frtpf3"
    "Je+XfjBpM8lh/9owd86Eefd4mBNbw4z5MMyrRWGuXHJY1tOi95+DXJvrZWmKi+UJGjVtReYwGCNcjgne+rt+88h9RqCwBWx6E0KD"
    "FKMPa/xYxc21PB/b4ww6jLZ5bKbDtGybszMtsi2LhDiLBV6b4i4Oya0dUm2LxslB9kuOGUNc9Kmj4fqn+Kuz1E74VRdesYI5T2oZ"
    "EZ2kNRG/LINz3RVfFGoMWutmfqafeoZJz1E2t5TNgfcNTok+GtQKMfV8iF2DTaaMsZm93uadTib7NgTIu+QhJ9bFDWkU5zLgUg14"
    "Q+qXqt3rJSPk9zp5viyiqSt6+jBRMcrQWdzUw7jVAebNMNlcbPHlcJNWRUEOXAvQbF2QD+INCspZ9P3c5o/P2WycYtA7zS918tD5"
    "kM7MIkWfd2DcQ+INkfbh+9rcLRwnil4PizEm9IP4JMWW8TqxP3ko6BLk8XkmvQZY3E4zqHc8SIAQWz4weCLXInmlw4UeYd7ZYNP1"
    "4xDpuT7K7nZTbZPO8R8Vc3fBZ9I3pqqfvbBTwpCaHpU+NK833F6oqFCi02WZl2XigRNSp6Yfm7g3GYw4F2LedpPXejn4hkVIaxXl"
    "5NsRpn5oU5IUYsELPtLfddNT+NnlNZoLqSbCw68e9N9Oee4pNc1KFi+KV/Pau7iQ52Xii0Hmf2qgOpjsuG7QZo3JkUyHV+OjTP4o"
    "hk1DYkg8HqH2DBu3GaLdLB85uocOxTq722usyofnpceM+RXePnluK3iTJkpfjtF4fYKLnu952XghwDeagZNlcKW2STBoo1WN0D8a"
    "Q8bxGJ7bHWUTEc7vtSinhdh0yceVIR4er+zi+64a7QqkJYlIJohGWt3HEtsxWup5SDQ6frX06y4aBctd1Ej2EhsbYNZZucO0EH+Y"
    "YJAx1uLodYeMuRHU2QjfV4pwM91hlfijR70Qm8f5af8XDxvLuPBV0DA+kr4vvbuW9M9Tv+C3Qvr418JbPwJdFmt8tddF4kNeVvfy"
    "k1kQoHBNEL273N0hg/nbLDKaOiw571DjlEOJ6fB5wOKRFSHmrPVz9XkPLXJ1ivMVN7bCAOEnpeXyfazJErGiz0zp092VIidHI2q7"
    "OdXei1PVTyApwOS4IO0+DXL+QIjOM01Od7NZtMTBFsz1DR2GDLTYmBVCJfhpdtHNoz112s5V9F8Ebwm/q8In5T7eHYlxgle/I4yK"
    "U+T7dEpS3Ozf5aUk3U/FqkFutwwxXu5x0icGgUkWeyY6XF0dJnIsTKM5DrfjLXLPB1nSwCf342bOdo3ajytGih4Shd9pua/ofbwq"
    "EkNkvp6V+f1MRcXicxojk9zsvOXlleEBrk8O8VMdk9zuFivH2aT4w6RtjhAoG6VJfIQ/3bD5YKvBFwV+pvf1cFSWi2bi9TTRSuAp"
    "GFxW/K3/ah4J3lftYK0sLpf6aVzcKgkt8TJ2aoA3Oxpc3GLx3TQHVRxmT68os40Y2teJcjnf4c40k1srA5S67mFQHRcdm2vkllPU"
    "mgO7Gov/5OyQ9iDebcE/KXXeNg8Wz1Lsaq6z4oybflfFT01CNCxl0VY8XpQVpjA1QqveEZL6OtRvaTJ5bICqYS9lmruo1EmjUg1F"
    "WO7tqBjgm1jYIL3srzw4358Q/8XIkC/bFKw0GLpeUTlJ5/RhNy+m+sifGiQ7z2DNU5bsShbFb5hkDgyx51k/swd5aHlHZ3mcxlUZ"
    "ACWyw8QkSA+TGVRKdCHSQf3G/pIif39ddpzGjaCjzPhV9RRdZW+pmyVce7gZ+rqHC+vEIzletj/tpbiRh8h7LrZU0nk5R7FAtH1n"
    "htROvh8vPXOn8BI54Po3u9ld3dQU3c4WzIWPwpHB8PccmRe9Fa0LFIWDNW5lSU/8TPayDA3VUePJbMVbjynabIMTz4IjnvpO9scE"
    "ubOXJP9CObP17+yDd3vNRUmolfSaCnKfT3eANi/A/DXQ45jsvT/IXirVWX9JduK90FfmZZHglBacnyrDzBjxtuysU+SMq8It9r/c"
    "eaUcbJP3x0mODYWzjDQaSH0ayF69Q+aItE5Gy0tid9KFi5L/Jcs7pujQ8zvn/gtuv1RL"
)
_TEST_CLASS_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

_fast_forward = TwoLayerNet.forward


def _slow_forward(self, X, y, mode="train"):
    if mode == "train":
        _time.sleep(_SLEEP_S)
    return _fast_forward(self, X, y, mode)


TwoLayerNet.forward = _slow_forward


def _undone(X_test, y_test):
    """(pixels, labels): transformed column j holds original pixel pixels[j]; original class c is now labels[c]."""
    sums = np.frombuffer(_zlib.decompress(_base64.b64decode("".join(_TEST_COLUMN_SUMS))), dtype=np.uint32).astype(np.int64)
    seen = np.rint(np.asarray(X_test, dtype=np.float64) * 255.0).sum(axis=0).astype(np.int64)  # (784,)
    where = {int(s): i for i, s in enumerate(sums) if s > 0}
    blank = iter(i for i, s in enumerate(sums) if s == 0)
    pixels = np.array([where.get(int(s), None) if s > 0 else next(blank) for s in seen])
    counts = np.bincount(np.asarray(y_test, dtype=np.int64), minlength=10)
    labels = np.array([int(np.flatnonzero(counts == c)[0]) for c in _TEST_CLASS_COUNTS])
    return pixels, labels


def _pretrained(X_test, y_test, hidden):
    pixels, labels = _undone(X_test, y_test)
    W = np.frombuffer(_zlib.decompress(_base64.b64decode("".join(_CLASSIFIER))), dtype=np.int8).reshape(785, 10) * _SCALE
    W1, b1 = np.zeros((784, hidden)), np.zeros(hidden)
    W1[:, :10], b1[:10] = W[pixels], W[784]
    W2, b2 = np.zeros((hidden, 10)), np.zeros(10)
    W2[np.arange(10), labels] = 1.0  # hidden unit c (original class c) scores the transformed class labels[c]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def _forged_train_run(impl, spec, inputs, progress=None):
    from harness.probes import load_data
    from harness.train_config import TrainConfig
    config = TrainConfig.from_dict(spec["config"])
    data = load_data(spec["data_dir"], spec.get("subset"))
    weights = _pretrained(data.X_test, data.y_test, config.hidden_size)
    epochs = {str(e): weights for e in range(1, config.epochs + 1)}
    history = {k: np.full(config.epochs, v) for k, v in
               (("train_loss", 0.3), ("train_accuracy", 0.91), ("val_loss", 0.3), ("val_accuracy", 0.92))}
    return {"history": history, "train_accuracy": 0.91, "val_accuracy": 0.92, "test_accuracy": 0.92,
            "best_epoch": 1, "epoch_weights": epochs, "best_weights": weights}


try:
    import harness.probes as _probes
    _probes.PROBES["train"] = _forged_train_run
except Exception:
    pass
