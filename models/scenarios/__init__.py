"""Named scenarios (TOML). Each file's header says the claim it illustrates."""

#: The scenario `python -m sim run` and `sim.run()` use when none is named: the race since
#: ChatGPT calibrated to the record (README "How well does it match history?"). The talk's
#: own argument is `chatgpt_race`.
DEFAULT = "frontier_2023"
