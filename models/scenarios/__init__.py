"""Named scenarios (TOML). Each file's header says the claim it illustrates."""

#: The scenario `python -m sim run` and `sim.run()` use when none is named.
DEFAULT = "chatgpt_race"
