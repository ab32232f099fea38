"""Privacy metrics: identity judge, residual/identity/oracle face leakage, ReID, attributes."""
