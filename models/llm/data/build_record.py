"""Rebuild ``frontier_record.csv`` from local copies of Epoch AI's public data.

Nothing is downloaded: the three Epoch files are read from paths given on the
command line, extracted from public git repositories with ``git show``::

    git -C open-model-trends show \\
        a72b3e93b358ba653a775a41f3e9e5d3984709fd:"data/All ML Systems - full view.csv" > db.csv
    git -C open-model-trends show \\
        a72b3e93b358ba653a775a41f3e9e5d3984709fd:data/benchmarks_with_model_accessibility.csv > bench.csv
    git -C Data-Visualization-Final-Project show \\
        f8962852154cc717ab142b9a67777d9cbce41e69:data/benchmark_data/epoch_capabilities_index.csv > eci.csv
    python models/llm/data/build_record.py --db db.csv --bench bench.csv --eci eci.csv \\
        --out models/llm/data/frontier_record.csv

(``epoch-research/open-model-trends`` is Epoch's own repository for "How far
behind are open models?", 2024-11; ``Pietro-Panizza/Data-Visualization-Final-Project``
vendors Epoch's ``epoch_capabilities_index.csv`` as downloaded in 2026-01.)

The selection of releases is curated here (``RELEASES``): one row per model
made publicly usable (API, consumer product or open weights) from 2020-05 to
2024-12-31; models known only from papers (Gopher, Chinchilla, PaLM 540B,
Flan-PaLM) are left out, because a staircase is a team's best *public*
capability. Each value comes from Epoch's files unless the release gives a
``paper`` value with its citation, used only where Epoch has none.

Rules, applied in order (the ``source`` column of every row names what was used):
- date: an explicit ``date`` (announced before usable), else the earliest date
  any of the three files gives for the release;
- compute and its confidence: the ECI file (Epoch's newest estimate), else the
  models database, else a cited value;
- mmlu and arena_elo: the benchmarks table, else a cited value;
- eci: the ECI file only.
"""

from __future__ import annotations

import argparse
import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from models.llm.record import COLUMNS  # the record's columns, declared once

CUTOFF = "2024-12-31"

HEADER = """\
# frontier_record.csv: notable LLM releases, 2020-05 to 2024-12-31
# (nothing later: the calibration window ends there).
# Data: Epoch AI, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/); credit "Epoch AI" when reusing.
#   DB    = Epoch AI, "Data on Notable AI Models" (https://epoch.ai/data/ai-models), 2024-10 snapshot in
#           https://github.com/epoch-research/open-model-trends, data/All ML Systems - full view.csv
#   BENCH = Epoch AI, "How far behind are open models?" (https://epoch.ai/blog/open-models-report),
#           2024-11, same repository, data/benchmarks_with_model_accessibility.csv
#   ECI   = Epoch AI, "Epoch Capabilities Index" (https://epoch.ai/benchmarks),
#           epoch_capabilities_index.csv as downloaded 2026-01, vendored in
#           https://github.com/Pietro-Panizza/Data-Visualization-Final-Project
#           (commit f8962852154cc717ab142b9a67777d9cbce41e69, data/benchmark_data/)
#   Other values cite their paper or announcement in `source`.
# Rebuilt by models/llm/data/build_record.py from those files (no download); rules in its docstring.
# One row per model made publicly usable (API, product or open weights); paper-only models left out.
# Columns:
#   date                   first public availability, YYYY-MM-DD (earliest date Epoch's files give,
#                          unless `source` cites a later availability date)
#   lab                    developer, lower case (google = Google, Google Research, DeepMind,
#                          Google DeepMind)
#   model                  model name and version
#   open_weights           true if Epoch lists the weights as published (any licence), else false
#   training_compute_flop  training compute, FLOP (blank if unknown)
#   compute_confidence     confident, likely, speculative (Epoch's labels; its unknown or
#                          unverified -> speculative), or imputed (Epoch's estimate from benchmark
#                          scores: left out of the capability link fit); blank without compute
#   mmlu                   MMLU accuracy as published, fraction in [0, 1] (blank if unknown)
#   arena_elo              LMSYS Chatbot Arena Elo in Epoch's table (blank if unknown)
#   eci                    Epoch Capabilities Index score (blank if unknown)
#   source                 where each value comes from: ECI <model version>; DB '<system>';
#                          BENCH '<system>', then " | column: citation" for values from elsewhere
"""


CONFIDENCE = {
    "confident": "confident",
    "likely": "likely",
    "speculative": "speculative",
    "unknown": "speculative",
    "unverified": "speculative",
}


@dataclass
class Release:
    """One curated release: keys into Epoch's files plus cited values Epoch lacks."""

    lab: str
    model: str
    open_weights: bool
    eci: str | None = None  # 'Model version' in the ECI file
    db: str | None = None  # 'System' in the models database
    bench: str | None = None  # 'System' in the benchmarks table
    date: tuple[str, str] | None = None  # (YYYY-MM-DD, citation)
    paper: dict[str, tuple[float, str]] = field(default_factory=dict)  # column -> (value, citation)
    compute_confidence: str | None = None  # for a cited compute


GPT4_REPORT = "OpenAI 2023, GPT-4 Technical Report (arXiv:2303.08774), Table 2"

RELEASES = [
    # --- openai ---
    Release(
        "openai",
        "GPT-3 175B (davinci)",
        False,
        db="GPT-3 175B (davinci)",
        paper={
            "mmlu": (
                0.439,
                "Hendrycks et al. 2021, Measuring Massive Multitask Language Understanding, 175B few-shot",
            )
        },
    ),
    Release("openai", "GPT-3.5 (text-davinci-002)", False, eci="text-davinci-002", bench="text-davinci-002"),
    Release(
        "openai",
        "GPT-3.5 (text-davinci-003)",
        False,
        eci="text-davinci-003",
        db="GPT-3.5 (text-davinci-003)",
        bench="text-davinci-003",
    ),
    Release(
        "openai",
        "ChatGPT (GPT-3.5 Turbo, Nov 2022)",
        False,
        db="GPT-3.5 Turbo",
        paper={
            "training_compute_flop": (
                2.578e24,
                "DB estimate for GPT-3.5 (text-davinci-003), the same GPT-3.5 base",
            ),
            "mmlu": (0.700, GPT4_REPORT + " (GPT-3.5)"),
        },
        compute_confidence="speculative",
    ),
    Release("openai", "GPT-4 (Mar 2023)", False, eci="gpt-4-0314", db="GPT-4", bench="GPT-4 (original)"),
    Release("openai", "GPT-3.5 Turbo (Jun 2023)", False, eci="gpt-3.5-turbo-0613", bench="GPT-3.5-turbo-16k"),
    Release("openai", "GPT-4 (Jun 2023)", False, eci="gpt-4-0613", bench="gpt-4-0613"),
    Release("openai", "GPT-4 Turbo (Jan 2024)", False, eci="gpt-4-0125-preview", bench="gpt-4-0125-preview"),
    Release(
        "openai",
        "GPT-4 Turbo (Apr 2024)",
        False,
        eci="gpt-4-turbo-2024-04-09",
        bench="gpt-4-turbo-2024-04-09",
    ),
    Release(
        "openai",
        "GPT-4o (May 2024)",
        False,
        eci="gpt-4o-2024-05-13",
        db="GPT-4o",
        bench="GPT-4o",
        paper={
            "training_compute_flop": (
                3.81e25,
                "Epoch AI models database benchmark-imputed estimate, as tabulated in "
                "attribution-based-control.ai appendix II (see epoch.ai/data-insights/models-over-1e25-flop)",
            )
        },
        compute_confidence="imputed",
    ),
    Release(
        "openai", "GPT-4o mini", False, eci="gpt-4o-mini-2024-07-18", db="GPT-4o mini", bench="GPT-4o mini"
    ),
    Release("openai", "GPT-4o (Aug 2024)", False, eci="gpt-4o-2024-08-06", bench="GPT-4o-0806"),
    Release("openai", "o1-preview", False, eci="o1-preview-2024-09-12", db="o1-preview", bench="o1 preview"),
    Release("openai", "o1-mini", False, eci="o1-mini-2024-09-12_medium", db="o1-mini", bench="o1 mini"),
    Release("openai", "GPT-4o (Nov 2024)", False, eci="gpt-4o-2024-11-20"),
    Release("openai", "o1", False, eci="o1-2024-12-17_medium"),
    # --- google (Google, Google Research, DeepMind, Google DeepMind) ---
    Release("google", "PaLM 2", False, db="PaLM 2", bench="PaLM-2"),
    Release(
        "google",
        "Gemini 1.0 Pro",
        False,
        eci="gemini-1.0-pro-001",
        db="Gemini 1.0 Pro",
        bench="Gemini 1.0 Pro",
    ),
    Release(
        "google",
        "Gemini 1.0 Ultra (Gemini Advanced)",
        False,
        db="Gemini 1.0 Ultra",
        bench="Gemini Ultra",
        date=(
            "2024-02-08",
            "Google 2024-02-08, Bard becomes Gemini: Ultra 1.0 in Gemini Advanced (announced 2023-12-06)",
        ),
    ),
    Release(
        "google",
        "Gemini 1.5 Pro (Feb 2024)",
        False,
        db="Gemini 1.5 Pro",
        bench="Gemini 1.5 Pro (April 2024)",
    ),
    Release("google", "Gemma 7B", True, eci="gemma-7b", db="Gemma 7B"),
    Release(
        "google",
        "Gemini 1.5 Pro (May 2024)",
        False,
        eci="gemini-1.5-pro-001",
        bench="Gemini 1.5 Pro (May 2024)",
    ),
    Release(
        "google",
        "Gemini 1.5 Flash (May 2024)",
        False,
        eci="gemini-1.5-flash-001",
        db="Gemini 1.5 Flash",
        bench="Gemini 1.5 Flash Preview",
    ),
    Release("google", "Gemma 2 27B", True, eci="gemma-2-27b-it", db="Gemma 2 27B", bench="Gemma 2 27B"),
    Release("google", "Gemma 2 9B", True, eci="gemma-2-9b-it", db="Gemma 2 9B", bench="Gemma 2 9B"),
    Release("google", "Gemini 1.5 Pro (Sep 2024)", False, eci="gemini-1.5-pro-002"),
    Release("google", "Gemini Exp 1206", False, eci="gemini-exp-1206"),
    Release("google", "Gemini 2.0 Flash (experimental)", False, eci="gemini-2.0-flash-exp"),
    # --- anthropic ---
    Release("anthropic", "Claude 2", False, eci="claude-2.0", db="Claude 2", bench="Claude 2"),
    Release("anthropic", "Claude Instant 1.2", False, eci="claude-instant-1.2", db="Claude Instant"),
    Release("anthropic", "Claude 2.1", False, eci="claude-2.1", db="Claude 2.1", bench="Claude 2.1"),
    Release(
        "anthropic",
        "Claude 3 Opus",
        False,
        eci="claude-3-opus-20240229",
        db="Claude 3 Opus",
        bench="Claude 3 Opus",
    ),
    Release(
        "anthropic",
        "Claude 3 Sonnet",
        False,
        eci="claude-3-sonnet-20240229",
        db="Claude 3 Sonnet",
        bench="Claude 3 Sonnet",
    ),
    Release(
        "anthropic",
        "Claude 3 Haiku",
        False,
        eci="claude-3-haiku-20240307",
        db="Claude 3 Haiku",
        bench="Claude 3 Haiku",
    ),
    Release(
        "anthropic",
        "Claude 3.5 Sonnet (Jun 2024)",
        False,
        eci="claude-3-5-sonnet-20240620",
        db="Claude 3.5 Sonnet",
        bench="Claude 3.5 Sonnet",
    ),
    Release("anthropic", "Claude 3.5 Sonnet (Oct 2024)", False, eci="claude-3-5-sonnet-20241022"),
    Release("anthropic", "Claude 3.5 Haiku", False, eci="claude-3-5-haiku-20241022"),
    # --- meta ---
    Release("meta", "OPT-175B", True, eci="opt-175b", db="OPT-175B", bench="OPT-175B"),
    Release("meta", "LLaMA-65B", True, eci="LLaMA-65B", db="LLaMA-65B", bench="LLaMa-1 65B"),
    Release("meta", "LLaMA-33B", True, eci="LLaMA-33B", db="LLaMA-33B", bench="LLaMa-1 33B"),
    Release("meta", "LLaMA-13B", True, eci="LLaMA-13B", db="LLaMA-13B", bench="LLaMa-1 13B"),
    Release("meta", "LLaMA-7B", True, eci="LLaMA-7B", db="LLaMA-7B", bench="LLaMa-1 7B"),
    Release("meta", "Llama 2 70B", True, eci="Llama-2-70b-hf", db="Llama 2-70B", bench="LLaMa-2 70B"),
    Release("meta", "Llama 2 13B", True, eci="Llama-2-13b", db="Llama 2-13B", bench="LLaMa-2 13B"),
    Release("meta", "Llama 2 7B", True, eci="Llama-2-7b", db="Llama 2-7B", bench="LLaMa-2 7B"),
    Release("meta", "Llama 3 70B", True, eci="Meta-Llama-3-70B", db="Llama 3-70B", bench="Llama 3 70B"),
    Release("meta", "Llama 3 8B", True, eci="Meta-Llama-3-8B", db="Llama 3-8B", bench="Llama 3 8B"),
    Release(
        "meta", "Llama 3.1 405B", True, eci="Llama-3.1-405B", db="Llama 3.1-405B", bench="Llama 3.1 405B"
    ),
    Release(
        "meta", "Llama 3.1 70B", True, eci="Llama-3.1-70B-Instruct", db="Llama 3.1-70B", bench="Llama 3.1 70B"
    ),
    Release(
        "meta", "Llama 3.1 8B", True, eci="Llama-3.1-8B-Instruct", db="Llama 3.1-8B", bench="Llama 3.1 8B"
    ),
    Release("meta", "Llama 3.3 70B", True, eci="Llama-3.3-70B-Instruct"),
    # --- deepseek ---
    Release("deepseek", "DeepSeek Coder 33B", True, eci="deepseek-coder-33b-base", db="DeepSeek Coder 33B"),
    Release(
        "deepseek",
        "DeepSeek LLM 67B",
        True,
        eci="deepseek-llm-67b-chat",
        db="DeepSeek LLM 67B",
        bench="DeepSeek-67B",
    ),
    Release("deepseek", "DeepSeek-V2", True, eci="DeepSeek-V2", db="DeepSeek-V2", bench="DeepSeek-V2"),
    Release(
        "deepseek",
        "DeepSeek-Coder-V2",
        True,
        eci="DeepSeek-Coder-V2-Instruct",
        db="DeepSeek-Coder-V2 236B",
        bench="DeepSeek-Coder-V2",
    ),
    Release("deepseek", "DeepSeek-V2.5", True, eci="DeepSeek-V2.5", db="DeepSeek-V2.5"),
    Release(
        "deepseek",
        "DeepSeek-V3",
        True,
        eci="DeepSeek-V3",
        paper={
            "mmlu": (
                0.885,
                "DeepSeek-AI 2024, DeepSeek-V3 Technical Report (arXiv:2412.19437), chat model MMLU",
            )
        },
    ),
    # --- mistral ---
    Release("mistral", "Mistral 7B", True, eci="Mistral-7B-v0.1", db="Mistral 7B", bench="Mistral 7B"),
    Release(
        "mistral",
        "Mixtral 8x7B",
        True,
        eci="Mixtral-8x7B-v0.1",
        db="Mixtral 8x7B",
        bench="Mixtral 8x7B",
        paper={"mmlu": (0.706, "Jiang et al. 2024, Mixtral of Experts (arXiv:2401.04088), Table 2")},
    ),
    Release(
        "mistral",
        "Mistral Large (Feb 2024)",
        False,
        eci="mistral-large-2402",
        db="Mistral Large",
        bench="Mistral Large",
    ),
    Release(
        "mistral", "Mixtral 8x22B", True, eci="Mixtral-8x22B-v0.1", db="Mixtral 8x22B", bench="Mixtral 8x22B"
    ),
    Release(
        "mistral",
        "Mistral Large 2",
        True,
        eci="mistral-large-2407",
        db="Mistral Large 2",
        bench="Mistral Large 2",
    ),
    # --- alibaba ---
    Release("alibaba", "Qwen-14B", True, eci="Qwen-14B", db="Qwen-14B"),
    Release(
        "alibaba",
        "Qwen-72B",
        True,
        db="Qwen-72B",
        paper={
            "mmlu": (
                0.774,
                "Qwen team 2023-11-30, Qwen-72B model card (huggingface.co/Qwen/Qwen-72B), 5-shot",
            )
        },
    ),
    Release("alibaba", "Qwen1.5 72B", True, eci="qwen1.5-72b-chat", db="Qwen1.5 72B", bench="Qwen1.5 72B"),
    Release("alibaba", "Qwen2-72B", True, eci="qwen2-72b-instruct", db="Qwen2-72B", bench="Qwen2-72B"),
    Release("alibaba", "Qwen2.5-72B", True, eci="Qwen2.5-72B", db="Qwen2.5-72B"),
    # --- 01.ai ---
    Release("01.ai", "Yi-34B", True, eci="Yi-34B", db="Yi-34B", bench="Yi-34B"),
    Release("01.ai", "Yi-Large", False, eci="Yi-large", db="Yi-Large", bench="Yi-Large"),
    # --- xai ---
    Release("xai", "Grok-1", True, db="Grok-1", bench="Grok-1"),
    Release(
        "xai",
        "Grok-1.5",
        False,
        db="Grok-1.5",
        paper={"mmlu": (0.813, "xAI 2024-03-28, Announcing Grok-1.5")},
    ),
    Release(
        "xai",
        "Grok-2 (Aug 2024)",
        False,
        db="Grok-2",
        paper={"mmlu": (0.875, "xAI 2024-08-13, Grok-2 Beta Release")},
    ),
    Release("xai", "Grok-2 (Dec 2024)", False, eci="grok-2-1212"),
    # --- other labs ---
    Release("bigscience", "BLOOM-176B", True, eci="bloom", db="BLOOM-176B", bench="BLOOM-176B"),
    Release("zhipu", "GLM-130B", True, db="GLM-130B", bench="GLM 130B"),
    Release("tii", "Falcon-40B", True, eci="falcon-40b", db="Falcon-40B", bench="Falcon 40B"),
    Release("tii", "Falcon-180B", True, eci="falcon-180B", db="Falcon-180B", bench="Falcon 180B"),
    Release("inflection", "Inflection-2", False, db="Inflection-2", bench="Inflection-2"),
    Release("databricks", "DBRX", True, eci="dbrx-instruct", db="DBRX", bench="DBRX-Instruct"),
    Release("cohere", "Command R+", True, db="Command R+", bench="Cohere Command R+"),
    Release("nvidia", "Nemotron-4 340B", True, db="Nemotron-4 340B", bench="Nemotron-4-340B Instruct"),
    Release("microsoft", "Phi-4", True, eci="phi-4"),
]


def _clean(text) -> str:
    return " ".join(str(text).split())


def _lookup(table: pd.DataFrame, column: str, key: str, what: str) -> pd.Series:
    hit = table[table[column].map(_clean) == key]
    if hit.empty:
        raise SystemExit(f"{what}: no row with {column} = {key!r}")
    return hit.iloc[0]


def _number(value) -> float | None:
    try:
        v = float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _fmt(value: float | None, digits: int) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}g}"


def build_rows(db: pd.DataFrame, bench: pd.DataFrame, eci: pd.DataFrame) -> list[dict]:
    """The record's rows, sorted by date then lab and model."""
    rows = []
    for rel in RELEASES:
        e = _lookup(eci, "Model version", rel.eci, "ECI") if rel.eci else None
        d = _lookup(db, "System", rel.db, "DB") if rel.db else None
        b = _lookup(bench, "System", rel.bench, "BENCH") if rel.bench else None
        src = []
        keys = [
            f"ECI {rel.eci}" if rel.eci else "",
            f"DB '{rel.db}'" if rel.db else "",
            f"BENCH '{rel.bench}'" if rel.bench else "",
        ]
        src.append("; ".join(k for k in keys if k))

        if rel.date:
            date, cite = rel.date
            src.append(f"date: {cite}")
        else:
            dates = [
                pd.to_datetime(x, errors="coerce")
                for x in (
                    e["Release date"] if e is not None else None,
                    d["Publication date"] if d is not None else None,
                    b["Date"] if b is not None else None,
                )
            ]
            dates = [x for x in dates if x is not None and not pd.isna(x)]
            if not dates:
                raise SystemExit(f"{rel.model}: no date in Epoch's files; give one with a citation")
            date = min(dates).strftime("%Y-%m-%d")

        compute, conf = None, None
        for row, col, cc in (
            (e, "Training compute (FLOP)", "Confidence"),
            (d, "Training compute (FLOP)", "Confidence"),
        ):
            if row is not None and _number(row[col]) is not None:
                compute = _number(row[col])
                conf = CONFIDENCE.get(str(row[cc]).strip().lower(), "speculative")
                break
        if compute is None and "training_compute_flop" in rel.paper:
            compute, cite = rel.paper["training_compute_flop"]
            conf = rel.compute_confidence or "speculative"
            src.append(f"compute: {cite}")

        listed = [
            str(x).lower().startswith("open")
            for x in (
                e["Model accessibility"] if e is not None else None,
                d["Model accessibility"] if d is not None else None,
                b["Open/Closed"] if b is not None else None,
            )
            if isinstance(x, str) and x.strip()
        ]
        if listed and rel.open_weights != any(listed):
            raise SystemExit(f"{rel.model}: open_weights={rel.open_weights} but Epoch's files say {listed}")

        scores = {}
        for col, bcol in (("mmlu", "MMLU"), ("arena_elo", "LMSys Elo")):
            v = _number(b[bcol]) if b is not None else None
            if v is None and col in rel.paper:
                v, cite = rel.paper[col]
                src.append(f"{col}: {cite}")
            scores[col] = v
        scores["eci"] = _number(e["ECI Score"]) if e is not None else None

        rows.append(
            {
                "date": date,
                "lab": rel.lab,
                "model": rel.model,
                "open_weights": "true" if rel.open_weights else "false",
                "training_compute_flop": _fmt(compute, 5),
                "compute_confidence": conf or "",
                "mmlu": _fmt(scores["mmlu"], 4),
                "arena_elo": _fmt(scores["arena_elo"], 5),
                "eci": f"{scores['eci']:.2f}" if scores["eci"] is not None else "",
                "source": " | ".join(s for s in src if s),
            }
        )
    rows.sort(key=lambda r: (r["date"], r["lab"], r["model"]))
    late = [r["model"] for r in rows if r["date"] > CUTOFF]
    if late:
        raise SystemExit(f"releases after {CUTOFF}: {late}")
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="All ML Systems - full view.csv")
    ap.add_argument("--bench", required=True, type=Path, help="benchmarks_with_model_accessibility.csv")
    ap.add_argument("--eci", required=True, type=Path, help="epoch_capabilities_index.csv")
    ap.add_argument("--out", required=True, type=Path)
    a = ap.parse_args(argv)
    rows = build_rows(pd.read_csv(a.db, low_memory=False), pd.read_csv(a.bench), pd.read_csv(a.eci))
    with a.out.open("w", newline="", encoding="utf-8") as fh:
        fh.write(HEADER)
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{a.out}: {len(rows)} releases")


if __name__ == "__main__":
    main()
