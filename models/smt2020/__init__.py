"""The SMT2020 semiconductor fab testbed (Kopp et al. 2020) on real data: reader, event kernel,
fidelity checks and R&D lots on a shared production line."""
