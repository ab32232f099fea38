"""One-class models fitted on normal footage: attribute, multitask."""
