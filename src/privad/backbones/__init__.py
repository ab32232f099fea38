"""Pretrained networks privad runs on frames and crops: bundled MobileNetV2, and user-supplied CLIP/DINO/I3D."""
