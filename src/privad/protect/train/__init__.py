"""Training the `learned` anonymizer the TeD-SPAD way, on a CPU.

Three networks:
- f_a, the anonymizer (`privad.protect.methods.learned.UNet`), first trained to reconstruct its input (L1);
- f_b, the privacy adversary: the bundled ImageNet MobileNetV2 up to its stride-16 layer + an MLP head → 128-d,
  L2-normalised, trained with NT-Xent (SimCLR, temperature 0.1) on two augmentations of each image — no labels;
- f_t, the utility branch: a small 3D CNN + 128-d head on 8-frame clips, trained with the temporal-distinctiveness
  triplet loss (anchor = clip at t, positive = the same frames augmented differently, negative = another time of the
  same video, margin 1) plus a utility objective that needs only normal footage: **temporal order verification**
  (is the clip in order, or were two of its frames swapped?). A swap makes objects jump back and forth, so f_t can
  only answer if f_a keeps where things are and how they move — what the one-class models score. (The arrow of time
  was tried first: people walk both ways, so a reversed clip looks normal and f_t stayed at chance.)

After a warm-up in which f_b and f_t learn on the reconstruction-trained f_a, the updates alternate:
f_a minimises −w_p·min(L_NTXent(f_b∘f_a), cap) + w_u·(L_util(f_t∘f_a) + w_t·L_trip); then f_b and f_t minimise their
own losses on the new f_a output. Weights are TeD-SPAD's (1.0, 0.7, 0.1). Two departures, both measured:
- the learning rates are larger than TeD-SPAD's 1e-5: f_a and f_t start from scratch here and the budget is minutes on
  a CPU, not GPU-days (f_a keeps its 0.4× ratio);
- the privacy reward is capped at `privacy_cap` × the adversary's chance-level loss. Without the cap, f_a found that
  a constant frame wins the game outright — the adversary falls to chance (+1.3 in loss) for a smaller utility
  penalty (0.7 × 0.64) — and every run collapsed to a blank frame within ~200 adversarial steps. TeD-SPAD avoids
  this by its tiny learning rate and early stopping.
"""


from privad.protect.train.config import TrainConfig
from privad.protect.train.data import TrainData, load_data, sample_inputs
from privad.protect.train.loop import Trainer, train_anonymizer
from privad.protect.train.losses import nt_xent, triplet

__all__ = ["TrainConfig", "TrainData", "Trainer", "load_data", "nt_xent", "sample_inputs", "train_anonymizer",
           "triplet"]
