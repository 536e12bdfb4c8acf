<#-- Data loading and the NumPy network: the same code for every experiment; the model's shape
     comes from the options. -->
NUM_CLASSES = 10


def load_digits_split(validation_split, seed):
    """scikit-learn's bundled digits (no download), scaled to [0, 1], split reproducibly by the seed."""
    from sklearn.datasets import load_digits  # here, so that --help works without scikit-learn

    digits = load_digits()
    features = digits.data.astype(np.float64) / 16.0
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    validation_size = round(len(labels) * validation_split)
    validation, training = order[:validation_size], order[validation_size:]
    return features[training], labels[training], features[validation], labels[validation]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# name -> (function, derivative given the input z and the output a)
ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "sigmoid": (sigmoid, lambda z, a: a * (1.0 - a)),
}


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    loss = -log_probabilities[rows, labels].mean()
    gradient = np.exp(log_probabilities)
    gradient[rows, labels] -= 1.0
    return float(loss), gradient / len(labels)


class Network:
    """Fully connected layers with softmax output; without hidden layers it is softmax regression."""

    def __init__(self, sizes, activation, rng):
        self.weights = []
        self.biases = []
        for fan_in, fan_out in pairwise(sizes):
            # He initialisation suits ReLU, Glorot-like scaling the saturating activations.
            scale = np.sqrt((2.0 if activation == "relu" else 1.0) / fan_in)
            self.weights.append(rng.normal(0.0, scale, size=(fan_in, fan_out)))
            self.biases.append(np.zeros(fan_out))
        self.activate, self.activate_derivative = ACTIVATIONS.get(activation, (None, None))

    def forward(self, inputs):
        """Logits, plus every layer's input and every hidden layer's pre-activation for backprop."""
        layer_inputs, pre_activations = [inputs], []
        for layer, (weights, biases) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = layer_inputs[-1] @ weights + biases
            if layer == len(self.weights) - 1:
                return z, layer_inputs, pre_activations
            pre_activations.append(z)
            layer_inputs.append(self.activate(z))

    def train_step(self, inputs, labels, learning_rate):
        """One SGD step on a minibatch; returns the minibatch's loss before the step."""
        logits, layer_inputs, pre_activations = self.forward(inputs)
        loss, gradient = softmax_cross_entropy(logits, labels)
        for layer in reversed(range(len(self.weights))):
            weight_gradient = layer_inputs[layer].T @ gradient
            bias_gradient = gradient.sum(axis=0)
            if layer > 0:
                gradient = (gradient @ self.weights[layer].T) * self.activate_derivative(
                    pre_activations[layer - 1], layer_inputs[layer]
                )
            self.weights[layer] -= learning_rate * weight_gradient
            self.biases[layer] -= learning_rate * bias_gradient
        return loss

    def save(self, path):
        """The weights and biases as an NPZ file: weights_0, biases_0, weights_1, … (np.load reads them)."""
        arrays = {}
        for layer, (weights, biases) in enumerate(zip(self.weights, self.biases, strict=True)):
            arrays[f"weights_{layer}"], arrays[f"biases_{layer}"] = weights, biases
        np.savez(path, **arrays)

    def evaluate(self, inputs, labels):
        """(mean loss, accuracy) on a whole data set."""
        logits = self.forward(inputs)[0]
        loss = softmax_cross_entropy(logits, labels)[0]
        return loss, float((logits.argmax(axis=1) == labels).mean())
