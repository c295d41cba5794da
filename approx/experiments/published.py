"""Numbers published by the papers, written once: scripts print them next to ours and figures
overlay them. Each cites its section of docs/references.md, where it is said how it was read.
"""

from __future__ import annotations

# da Cunha, Natale, Viennot 2022 (ICLR), their LeNet5-on-MNIST experiment, read from the
# authors' saved results (docs/references.md, "da Cunha et al. 2022 (CNN)"): per n (samples
# per weight), the weight error max|Δw| / max|w| and the conv part's output error
# max|f − g| / max|f| on the test split; the target's test accuracy.
DACUNHA_CNN_MNIST_WEIGHT_ERROR = {5: 0.89, 10: 0.57, 15: 1.8e-2, 20: 7.3e-4, 25: 7.7e-5, 30: 7.7e-6}
DACUNHA_CNN_MNIST_OUTPUT_ERROR = {5: 0.52, 10: 0.13, 15: 5.3e-3, 20: 3.3e-4, 25: 2.8e-5, 30: 2.3e-6}
DACUNHA_CNN_MNIST_ACCURACY = 0.9899
