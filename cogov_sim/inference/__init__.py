"""Calibration with uncertainty: history matching, then ABC, to a posterior sample of
parameter sets (`history`, `abc`, `posterior`), and the headline comparison over that
posterior (`headline`). See docs/inference.md."""
