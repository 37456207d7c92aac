"""Dispatching rules of the SMT2020 kernel (:mod:`models.smt2020.fab`) as small classes.

A *rank* is one criterion of a tool group's ``FWLRANK`` list (``rank_HP``, ``rank_RSETUP``,
``rank_FIFO``, ``rank_CR``); a *rule* (``RULE``: ``rule_HotLotFIRST``, ``rule_LSSU``, ...) is an
ordered tuple of ranks plus whether the minimum-run setup rule applies; an *engineering
policy* says where the lots of an R&D team rank against production lots. None of these
branches on strings in the kernel's hot path: the kernel builds one value vector per
candidate (see :data:`SLOTS`) and the rule's :attr:`Rule.order` (an
:func:`operator.itemgetter`) turns it into the sort key; the smallest key wins.

The value vector of a candidate lot (or the head lot of a queue bucket) for one tool is

``(engineering_rank, -priority, setup_minutes, arrival_min, critical_ratio)``

so lower is better in every slot: ``engineering_rank`` (0 or 1) comes from the policy,
``-priority`` puts super hot (30) before hot (20) before regular (10) lots, ``setup_minutes``
is the setup the tool would need for the lot (0 when none or already set up), ``arrival_min``
is when the lot joined the queue (minutes), ``critical_ratio`` is ``(due - now) / remaining
raw process time`` (only computed when a rule contains :class:`CriticalRatio`).
"""

from __future__ import annotations

import math
from operator import itemgetter

__all__ = [
    "SLOTS",
    "Rank",
    "HighPriority",
    "LeastSetup",
    "FirstInFirstOut",
    "CriticalRatio",
    "RANKS",
    "Rule",
    "HotLotFirst",
    "LeastSetupFirst",
    "CriticalRatioRule",
    "RULES",
    "rule_for",
    "EngineeringPolicy",
    "ProductionFirst",
    "EngineeringFirst",
    "EngineeringShare",
    "POLICIES",
    "policy_for",
]

#: Positions of the value vector the kernel builds for each candidate.
SLOTS = {"engineering": 0, "priority": 1, "setup": 2, "arrival": 3, "critical_ratio": 4}


class Rank:
    """One dispatching criterion: which slot of the value vector it sorts on.

    Attributes
    ----------
    slot : int
        Index into the value vector (:data:`SLOTS`).
    per_lot : bool
        True when the value differs between lots of one queue bucket (the kernel then scans
        every waiting lot instead of the bucket heads; slower, so only for such ranks).
    """

    slot: int = -1
    per_lot: bool = False


class HighPriority(Rank):
    """``rank_HP``: higher lot priority first (super hot 30, hot 20, regular 10)."""

    slot = SLOTS["priority"]


class LeastSetup(Rank):
    """``rank_RSETUP``: lots needing the shortest setup (minutes) first; none is 0."""

    slot = SLOTS["setup"]


class FirstInFirstOut(Rank):
    """``rank_FIFO``: earliest arrival at the queue (minutes) first."""

    slot = SLOTS["arrival"]


class CriticalRatio(Rank):
    """``rank_CR``: smallest critical ratio ``(due - now) / remaining raw process time`` first."""

    slot = SLOTS["critical_ratio"]
    per_lot = True


#: The ranks a tool group's ``FWLRANK`` may name.
RANKS: dict[str, type[Rank]] = {
    "rank_HP": HighPriority,
    "rank_RSETUP": LeastSetup,
    "rank_FIFO": FirstInFirstOut,
    "rank_CR": CriticalRatio,
}


class Rule:
    """A dispatching rule: engineering rank first, then the ranks in order, FIFO last.

    Parameters
    ----------
    ranks : tuple of Rank
        The group's ``FWLRANK`` criteria in order; FIFO is appended as the final tie-break
        when absent so that equal keys are always resolved by arrival time.

    Attributes
    ----------
    order : callable
        Maps a value vector to its sort key (lower is dispatched first).
    per_lot : bool
        True when any rank needs every waiting lot scanned (:attr:`Rank.per_lot`).

    The minimum-run setup rule is not part of a rule: the kernel enforces it on every group
    with ``MinRun`` rows (``setupgrp.txt``).
    """

    def __init__(self, ranks: tuple[Rank, ...]):
        ranks = self.arrange(tuple(ranks))
        slots = [SLOTS["engineering"]] + [r.slot for r in ranks]
        if SLOTS["arrival"] not in slots:
            slots.append(SLOTS["arrival"])
        self.ranks = ranks
        self.order = itemgetter(*slots)
        self.per_lot = any(r.per_lot for r in ranks)

    def arrange(self, ranks: tuple[Rank, ...]) -> tuple[Rank, ...]:
        """The ranks this rule sorts on, given the group's list (subclasses reorder)."""
        return ranks


class HotLotFirst(Rule):
    """``rule_HotLotFIRST``: the group's ranks as written, with ``rank_HP`` forced first
    (the rule's name says hot lots go first whatever the rank list)."""

    def arrange(self, ranks):
        """``rank_HP`` first, then the group's other ranks as written."""
        rest = tuple(r for r in ranks if not isinstance(r, HighPriority))
        return (HighPriority(),) + rest


class LeastSetupFirst(Rule):
    """``rule_LSSU``: least setup first (``rank_RSETUP`` moved to the front), then the
    group's other ranks. In SMT2020 these groups also have a minimum run (``setupgrp.txt``),
    which the kernel enforces.

    Setup first is our reading of "least setup"; SMT2020 does not spell out where HP goes.
    """

    def arrange(self, ranks):
        """``rank_RSETUP`` first, then the group's other ranks as written."""
        rest = tuple(r for r in ranks if not isinstance(r, LeastSetup))
        return (LeastSetup(),) + rest


class CriticalRatioRule(Rule):
    """``rule_CR``: priority, then critical ratio, then the group's other ranks."""

    def arrange(self, ranks):
        """``rank_HP``, then critical ratio, then the group's other ranks."""
        rest = tuple(r for r in ranks if not isinstance(r, HighPriority | CriticalRatio))
        return (HighPriority(), CriticalRatio()) + rest


#: The rules a tool group's ``RULE`` may name (anything else falls back to HotLotFirst).
RULES: dict[str, type[Rule]] = {
    "rule_HotLotFIRST": HotLotFirst,
    "rule_LSSU": LeastSetupFirst,
    "rule_CR": CriticalRatioRule,
}


def rule_for(rule: str, ranks: tuple[str, ...]) -> Rule:
    """The :class:`Rule` of a tool group from its ``RULE`` and ``FWLRANK`` texts.

    Parameters
    ----------
    rule : str
        e.g. ``"rule_HotLotFIRST"``.
    ranks : tuple of str
        e.g. ``("rank_HP", "rank_RSETUP", "rank_FIFO")``; unknown names are ignored.
    """
    made = tuple(RANKS[r]() for r in ranks if r in RANKS) or (HighPriority(), LeastSetup(), FirstInFirstOut())
    return RULES.get(rule, HotLotFirst)(made)


class EngineeringPolicy:
    """Where engineering (R&D) lots rank against production lots on one tool.

    :meth:`rank` gives the first slot of the value vector: 0 ranks before 1.
    """

    def reserved_tools(self, tools: int) -> int:
        """How many of a group's ``tools`` (the first ones) are reserved for engineering."""
        return 0

    def rank(self, engineering: bool, reserved: bool) -> int:
        """0 or 1: the lot's engineering rank on a tool (``reserved``: one of the first
        :meth:`reserved_tools`)."""
        raise NotImplementedError


class ProductionFirst(EngineeringPolicy):
    """``"production_first"``: engineering lots rank below every production lot."""

    def rank(self, engineering, reserved):
        """1 for an engineering lot (after production), 0 for production."""
        return 1 if engineering else 0


class EngineeringFirst(EngineeringPolicy):
    """``"engineering_first"``: engineering lots rank above every production lot."""

    def rank(self, engineering, reserved):
        """0 for an engineering lot (before production), 1 for production."""
        return 0 if engineering else 1


class EngineeringShare(EngineeringPolicy):
    """``"share"``: on the first ``ceil(share × tools)`` tools of each group engineering lots
    rank first, elsewhere last.

    Parameters
    ----------
    share : float
        Share of each group's tools reserved for engineering, in [0, 1].
    """

    def __init__(self, share: float):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"engineering_share must be in [0, 1], got {share}")
        self.share = share

    def reserved_tools(self, tools):
        """``ceil(share × tools)``, at most ``tools``."""
        return min(tools, math.ceil(self.share * tools - 1e-9))

    def rank(self, engineering, reserved):
        """Engineering first on a reserved tool, production first on the others."""
        return (0 if engineering else 1) if reserved else (1 if engineering else 0)


#: The engineering policies by name.
POLICIES = {
    "production_first": ProductionFirst,
    "engineering_first": EngineeringFirst,
    "share": EngineeringShare,
}


def policy_for(name: str, share: float = 0.0) -> EngineeringPolicy:
    """The :class:`EngineeringPolicy` called ``name`` (``share``: tool share, for ``"share"``)."""
    if name not in POLICIES:
        raise ValueError(f"engineering_policy must be one of {sorted(POLICIES)}, got {name!r}")
    return EngineeringShare(share) if name == "share" else POLICIES[name]()
