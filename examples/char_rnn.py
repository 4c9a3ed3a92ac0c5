"""A character-level language model: an LSTM learns to continue a small text, char by char.

The text is cut into windows of ``--seq-len`` characters; at every position the model
predicts the next character::

    chars (N, T) -> Embedding(V, 16) -> LSTM(64, return_sequences) -> Dense(V) -> logits (N, T, V)

trained with softmax cross-entropy and Adam. The loss starts at ln V (a uniform guess) and
falls as the LSTM learns spelling and the phrases of the text; the script reports the loss in
bits per character and then generates text, feeding its own samples back one character at a
time through ``initial_state`` / ``return_state`` (the LSTM's state carries the context).

``--quick`` runs 60 steps (seconds): enough for the loss to fall clearly below the uniform
guess (about 2.3 nats from 3.33) and to spell short words such as "the" and "and"; the default
600 steps learn the phrases.

Run:  python examples/char_rnn.py [--quick] [--steps N] [--out DIR]
Writes into ``--out`` (default ``examples/output/char_rnn``): ``results.json``, ``sample.txt``
(the generated text) and, when matplotlib is installed, ``learning_curve.png`` (the training
loss per step, in nats, with the uniform guess ln V drawn as a reference line).
"""

import argparse
import json
import math
import os
import time

import numpy as np

import glassnet as gn
from glassnet import functional as F
from glassnet.layers import LSTM, Dense, Embedding
from glassnet.optimizers import Adam

TEXT = (
    "a neuron takes its inputs, weighs them, adds a bias and passes the sum through an "
    "activation function. a layer is many neurons side by side, and a network is layers one "
    "after another. the forward pass computes the output; the loss says how wrong it is; the "
    "backward pass sends the error back through every layer, and each weight moves a little "
    "against its gradient. repeat this many times and the network learns. a recurrent "
    "network reads a sequence one step at a time and keeps a state, a memory of what it has "
    "seen; the long short-term memory adds gates that decide what to keep, what to forget and "
    "what to show. "
)


def main(argv=None):
    """Train the character model; return {'initial_loss', 'final_loss', 'bits_per_char', ...}."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="a few training steps")
    parser.add_argument("--steps", type=int, default=None, help="default 600 (quick: 60)")
    parser.add_argument("--seq-len", type=int, default=40)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("examples", "output", "char_rnn"))
    args = parser.parse_args(argv)
    steps = args.steps or (60 if args.quick else 600)
    gn.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    vocab = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(vocab)}
    data = np.array([index[c] for c in TEXT], dtype=np.int64)
    embedding = Embedding(len(vocab), 16)
    rnn = LSTM(args.units, return_sequences=True, return_state=True)
    head = Dense(len(vocab))

    def forward(tokens, state=None):
        sequence, h, c = rnn(embedding(tokens), initial_state=state)
        return head(sequence), [h, c]

    forward(data[None, :2])  # build the weights
    params = embedding.trainable_weights + rnn.trainable_weights + head.trainable_weights
    optimizer = Adam(learning_rate=0.01)
    batch, t = 32, args.seq_len
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        starts = rng.integers(0, len(data) - t - 1, batch)
        x = np.stack([data[s:s + t] for s in starts])
        y = np.stack([data[s + 1:s + t + 1] for s in starts])
        logits, _ = forward(x)
        loss = F.sparse_categorical_crossentropy(y, logits, from_logits=True).mean()
        for p in params:
            p.grad = None
        loss.backward()
        optimizer.step(params)
        losses.append(loss.item())
    seconds = time.perf_counter() - start

    # generation: feed the model's own samples back, one character at a time
    prompt = "the network "
    state, text = None, prompt
    with gn.no_grad():
        logits, state = forward(np.array([[index[c] for c in prompt]]))
        for _ in range(200):
            probs = np.exp(logits.data[0, -1] - logits.data[0, -1].max())
            probs = (probs / probs.sum()).astype(np.float64)
            nxt = int(rng.choice(len(vocab), p=probs / probs.sum()))
            text += vocab[nxt]
            logits, state = forward(np.array([[nxt]]), state)
    final = float(np.mean(losses[-20:]))
    results = {
        "vocab_size": len(vocab), "steps": steps, "initial_loss": losses[0],
        "uniform_loss": math.log(len(vocab)), "final_loss": final,
        "bits_per_char": final / math.log(2), "seconds": seconds, "sample": text,
    }
    print(f"{steps} steps in {seconds:.1f}s: loss {losses[0]:.3f} -> {final:.3f} "
          f"({results['bits_per_char']:.2f} bits/char; uniform guess "
          f"{results['uniform_loss']:.3f})")
    print("sample:", text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(args.out, "sample.txt"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    results["figures"] = loss_figure(args.out, losses, results["uniform_loss"])
    return results


def loss_figure(out, losses, uniform):
    """The training loss per step with the uniform guess as a line (skipped without matplotlib)."""
    from glassnet import viz  # imports matplotlib only when plotting

    try:
        fig = viz.plot_curves({"training loss (batch of 32 windows)": losses}, xlabel="step",
                              ylabel="cross-entropy (nats per character)",
                              title="char-RNN: next-character loss")
    except ImportError as error:
        print(f"figure skipped: {error}")
        return []
    ax = fig.axes[0]
    ax.axhline(uniform, color="0.5", linestyle=":", label=f"uniform guess ln V = {uniform:.2f}")
    ax.legend(fontsize="small")
    path = os.path.join(out, "learning_curve.png")
    viz.save_figure(fig, path)
    return [path]


if __name__ == "__main__":
    main()
