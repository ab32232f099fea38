"""metrics/vad"""
