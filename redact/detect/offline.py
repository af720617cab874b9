"""Keep detection offline: no suffix-list fetch, no model download, no hub look-ups.

Presidio's email and URL recognizers validate domains with tldextract, whose default extractor
fetches the Public Suffix List over the network on first use (and warns when it cannot). We
swap in an extractor that only reads the snapshot bundled with tldextract.
"""

from __future__ import annotations

import os

_DONE = False


def ensure_offline() -> None:
    global _DONE
    if _DONE:
        return
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    import tldextract
    import tldextract.tldextract as tld_module

    tld_module.TLD_EXTRACTOR = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True
    )
    _DONE = True
