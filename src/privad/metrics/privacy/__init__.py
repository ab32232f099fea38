"""metrics/privacy"""
