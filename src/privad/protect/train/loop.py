"""The alternating training loop (see `privad.protect.train`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from privad.device import torch_device
from privad.errors import PrivadError
from privad.protect.methods.learned import UNet, read_checkpoint, save_anonymizer


from privad.protect.train.config import TrainConfig
from privad.protect.train.losses import nt_xent, triplet
from privad.protect.train.networks import Adversary, Utility
from privad.protect.train.data import Sampler, TrainData, _as_video


class Trainer:
    """The three networks, their optimisers and the loss history; resumable from a checkpoint."""

    def __init__(self, config: TrainConfig, data: TrainData):
        torch.manual_seed(config.seed)
        self.config, self.sampler = config, Sampler(data, config)
        self.device = torch_device()
        self.fa, self.fb, self.ft = (net.to(self.device) for net in (UNet(config.width), Adversary(), Utility()))
        self.opt_a = torch.optim.Adam(self.fa.parameters(), lr=0.4 * config.lr)
        self.opt_b = torch.optim.Adam(self.fb.parameters(), lr=config.lr)
        self.opt_t = torch.optim.Adam(self.ft.parameters(), lr=config.lr)
        self.step = 0  # over all three phases
        self.history: list[dict] = []

    @property
    def total(self) -> int:
        c = self.config
        return c.pretrain_steps + c.warmup_steps + c.steps

    def phase(self) -> str:
        c = self.config
        if self.step < c.pretrain_steps:
            return "reconstruct"
        return "warmup" if self.step < c.pretrain_steps + c.warmup_steps else "adversarial"

    # -- the losses of f_b and f_t on given f_a outputs
    def privacy_loss(self, v1: torch.Tensor, v2: torch.Tensor) -> torch.Tensor:
        return nt_xent(self.fb(v1), self.fb(v2), self.config.temperature)

    def utility_loss(self, clips: dict, outputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L_util, L_trip) of f_t on the anonymized anchor/positive/negative clips (stacked in `outputs`)."""
        n = len(clips["order"])
        a, p, neg = (_as_video(part, n) for part in outputs.chunk(3))
        logits, za = self.ft(a)
        zp, zn = self.ft(p)[1], self.ft(neg)[1]
        return F.cross_entropy(logits, clips["order"]), triplet(za, zp, zn, self.config.margin)

    def anonymizer_loss(self, v1: torch.Tensor, v2: torch.Tensor, clips: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """f_a's objective −w_p·L_NTXent + w_u·(L_util + w_t·L_trip) on one batch, and f_a's output."""
        c = self.config
        frames = torch.cat([clips["anchor"], clips["positive"], clips["negative"]])
        out = self.fa(torch.cat([v1, v2, frames]))
        out1, out2, out_c = out.split([len(v1), len(v2), len(frames)])
        l_util, l_trip = self.utility_loss(clips, out_c)
        cap = c.privacy_cap * float(np.log(2 * len(v1) - 1))
        l_priv = torch.clamp(self.privacy_loss(out1, out2), max=cap)  # no reward for going past the cap
        return -c.w_privacy * l_priv + c.w_utility * (l_util + c.w_triplet * l_trip), out

    def train_step(self) -> dict:
        """One step of the current phase; returns its losses."""
        c, phase = self.config, self.phase()
        v1, v2 = (v.to(self.device) for v in self.sampler.images())
        if phase == "reconstruct":
            loss = F.l1_loss(self.fa(v1), v1)
            self.opt_a.zero_grad()
            loss.backward()
            self.opt_a.step()
            rec = {"step": self.step, "phase": phase, "l1": float(loss.detach())}
        else:
            clips = {k: v.to(self.device) for k, v in self.sampler.clips().items()}
            frames = torch.cat([clips["anchor"], clips["positive"], clips["negative"]])
            rec = {"step": self.step, "phase": phase}
            if phase == "adversarial":
                for group in self.opt_a.param_groups:
                    group["lr"] = c.anonymizer_lr
                for p in (*self.fb.parameters(), *self.ft.parameters()):
                    p.requires_grad_(False)
                loss_a, out = self.anonymizer_loss(v1, v2, clips)
                self.opt_a.zero_grad()
                loss_a.backward()
                self.opt_a.step()
                for p in (*self.fb.parameters(), *self.ft.parameters()):
                    p.requires_grad_(True)
                rec["anonymizer"] = float(loss_a.detach())
                out = out.detach()  # f_b and f_t learn on this step's f_a output (one update stale)
            else:
                with torch.no_grad():
                    out = self.fa(torch.cat([v1, v2, frames]))
            out1, out2, out_c = out.split([len(v1), len(v2), len(frames)])
            l_priv = self.privacy_loss(out1, out2)
            self.opt_b.zero_grad()
            l_priv.backward()
            self.opt_b.step()
            l_util, l_trip = self.utility_loss(clips, out_c)
            self.opt_t.zero_grad()
            (l_util + c.w_triplet * l_trip).backward()
            self.opt_t.step()
            rec.update(privacy=float(l_priv.detach()), utility=float(l_util.detach()), triplet=float(l_trip.detach()))
        self.step += 1
        self.history.append(rec)
        return rec

    # -- checkpoints
    def state(self) -> dict:
        return {"config": self.config.model_dump(), "step": self.step, "history": self.history,
                "fb": self.fb.state_dict(), "ft": self.ft.state_dict(), "opt_a": self.opt_a.state_dict(),
                "opt_b": self.opt_b.state_dict(), "opt_t": self.opt_t.state_dict(),
                "rng": (self.sampler.rng.getstate(), self.sampler.aug.rng.bit_generator.state, torch.get_rng_state())}

    def save(self, path: Path) -> None:
        save_anonymizer(path, self.fa, self.state())

    def restore(self, path: Path) -> None:
        ckpt = read_checkpoint(path)
        state = ckpt.get("training")
        if not state:
            raise PrivadError(f"{path} has no training state to resume from")
        if state["config"]["width"] != self.config.width or state["config"]["size"] != self.config.size:
            raise PrivadError(f"{path} was trained with other --width/--size; give the same to resume")
        self.fa.load_state_dict(ckpt["anonymizer"])  # load_state_dict copies onto the modules' device
        self.fb.load_state_dict(state["fb"])
        self.ft.load_state_dict(state["ft"])
        for opt, key in ((self.opt_a, "opt_a"), (self.opt_b, "opt_b"), (self.opt_t, "opt_t")):
            opt.load_state_dict(state[key])
        self.step, self.history = int(state["step"]), list(state["history"])
        py_state, np_state, torch_state = state["rng"]
        self.sampler.rng.setstate(py_state)
        self.sampler.aug.rng.bit_generator.state = np_state
        torch.set_rng_state(torch_state)


def train_anonymizer(data: TrainData, output: Path, config: TrainConfig | None = None, resume: bool = False,
                     on_step: Callable[[int, int, dict], None] | None = None) -> Trainer:
    """Train (or, with `resume`, continue training) and save to `output` every `checkpoint_every` steps and at the
    end. Stops early, resumably, after `max_minutes`."""
    config = config or TrainConfig()
    trainer = Trainer(config, data)
    output = Path(output)
    if resume and output.exists():
        trainer.restore(output)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    start = time.monotonic()
    for _ in range(trainer.step, trainer.total):
        rec = trainer.train_step()
        if on_step:
            on_step(trainer.step, trainer.total, rec)
        if trainer.step % config.checkpoint_every == 0:
            trainer.save(output)
        if config.max_minutes and time.monotonic() - start > 60 * config.max_minutes:
            break
    trainer.save(output)
    return trainer
