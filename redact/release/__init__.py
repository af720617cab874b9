"""The release: gate first, then a publishable bundle (data, dataset card, figures, sums).

`release(run, policy_file, out, actor)` in `bundle.py`; the card in `card.py`, statistics
from the released files in `stats.py`, charts in `figures.py`, HF feature YAML in
`features.py`, SHA256SUMS in `sums.py`. The CLI handler is `commands.cmd_release`.
"""
