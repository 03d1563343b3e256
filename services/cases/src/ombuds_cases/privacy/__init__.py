"""Privacy Act and FOIA requests: the blind index, exports with redactions, amendments."""
