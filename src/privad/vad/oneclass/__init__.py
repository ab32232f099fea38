"""vad/oneclass"""
