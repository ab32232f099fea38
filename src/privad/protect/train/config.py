"""Settings of the anonymizer training."""

from __future__ import annotations


from pydantic import BaseModel, ConfigDict, Field





class TrainConfig(BaseModel):
    """Settings of `privad train-anonymizer` (defaults: the small configuration of docs/benchmarks.md)."""

    model_config = ConfigDict(extra="forbid")

    size: int = Field(96, ge=32, description="Side of the square training crops.")
    width: int = Field(8, ge=4, description="Channels of the UNet's first stage.")
    pretrain_steps: int = Field(300, ge=0, description="f_a reconstruction (L1) steps.")
    warmup_steps: int = Field(300, ge=0, description="f_b and f_t steps on the reconstruction-trained f_a.")
    steps: int = Field(1200, ge=0, description="Adversarial (alternating) steps.")
    batch: int = Field(12, ge=2, description="Images per privacy batch (each seen in two augmentations).")
    clips: int = Field(3, ge=1, description="Anchor clips per utility batch (each with a positive and a negative).")
    clip_len: int = Field(8, ge=2)
    lr: float = Field(1e-3, gt=0, description="Adam learning rate of f_b and f_t (f_a: 0.4× while reconstructing).")
    anonymizer_lr: float = Field(1.2e-4, gt=0, description="f_a's learning rate in the adversarial phase.")
    w_privacy: float = 1.0
    w_utility: float = 0.7
    w_triplet: float = 0.1
    privacy_cap: float = Field(0.85, gt=0, le=1, description="f_a stops pushing the adversary's NT-Xent loss "
                               "beyond this share of its chance level log(2·batch − 1).")
    temperature: float = Field(0.1, gt=0)
    margin: float = Field(1.0, ge=0)
    max_minutes: float | None = Field(None, gt=0, description="Stop (and save, resumable) after this long.")
    checkpoint_every: int = Field(100, ge=1)
    seed: int = 0
