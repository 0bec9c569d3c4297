"""Developer tools, run from the project root and never installed: the benchmarks
(`python -m tools.bench_epoch`, `tools.bench_grade`, `tools.bench_class`) and `python -m tools.readme_sync`,
which copies generated figures into docs/figures.md."""
