"""Named scenarios (TOML). Each file's header says the claim it illustrates."""
