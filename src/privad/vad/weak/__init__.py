"""vad/weak"""
