"""The privacy adversary f_b and the utility branch f_t."""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional as F





class Adversary(nn.Module):
    """f_b: MobileNetV2 (ImageNet, bundled) up to stride 16 → global pool → MLP → 128-d."""

    MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def __init__(self):
        super().__init__()
        from privad.backbones.appearance import mobilenet_v2

        self.backbone = copy.deepcopy(mobilenet_v2().features[:14])  # a private copy: the shared one must stay as is
        self.head = nn.Sequential(nn.Linear(96, 256), nn.ReLU(inplace=True), nn.Linear(256, 128))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = ((x + 0.5) - self.MEAN.to(x.device)) / self.STD.to(x.device)
        return F.normalize(self.head(self.backbone(x).mean(dim=(2, 3))), dim=1)


class Utility(nn.Module):
    """f_t: a small 3D CNN on the frame differences of (N, 3, T, S, S) clips → order logits and a 128-d embedding
    (mean+max pooled, as moving objects are small in a surveillance frame)."""

    def __init__(self, c: int = 16):
        super().__init__()

        def block(i: int, o: int, stride: tuple[int, int, int]) -> list[nn.Module]:
            return [nn.Conv3d(i, o, 3, stride=stride, padding=1), nn.GroupNorm(4, o), nn.ReLU(inplace=True)]

        self.encoder = nn.Sequential(*block(3, c, (1, 2, 2)), *block(c, 2 * c, (1, 2, 2)),
                                     *block(2 * c, 4 * c, (2, 2, 2)), *block(4 * c, 4 * c, (2, 2, 2)))
        self.order = nn.Linear(8 * c, 2)
        self.embed = nn.Sequential(nn.Linear(8 * c, 128), nn.ReLU(inplace=True), nn.Linear(128, 128))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.encoder(x[:, :, 1:] - x[:, :, :-1])  # frame differences: the static background drops out
        g = torch.cat([f.mean(dim=(2, 3, 4)), f.amax(dim=(2, 3, 4))], dim=1)
        return self.order(g), F.normalize(self.embed(g), dim=1)
