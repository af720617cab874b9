"""Arrow schema -> the `dataset_info.features` list of a Hugging Face dataset card.

The card's YAML must describe the Parquet files exactly, or the hub's viewer and
`datasets.load_dataset` disagree with it. We derive it from the files' own schema, following
the `datasets` library's YAML layout (`dtype: string`, `list: [...]` for a list of structs,
`list: string` for a list of values, `struct: [...]`), without importing `datasets`.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.types as pat

_FLOATS = {16: "float16", 32: "float32", 64: "float64"}


def dtype_name(t: pa.DataType) -> str:
    """The `datasets` dtype name of a primitive Arrow type (e.g. `string`, `int64`, `bool`)."""
    if pat.is_dictionary(t):
        return dtype_name(t.value_type)
    if pat.is_floating(t):
        return _FLOATS[t.bit_width]
    if pat.is_date32(t):
        return "date32"
    if pat.is_date64(t):
        return "date64"
    if pat.is_string(t):
        return "string"
    if pat.is_large_string(t):
        return "large_string"
    if pat.is_binary(t):
        return "binary"
    if pat.is_large_binary(t):
        return "large_binary"
    # null, bool, (u)int*, timestamp[..], time32/64[..], duration[..], decimal128(p, s)
    return str(t)


def _body(t: pa.DataType) -> dict[str, Any]:
    """The keys that describe type `t` inside a feature entry (without its name)."""
    if pat.is_dictionary(t):
        return _body(t.value_type)
    if pat.is_struct(t):
        return {"struct": [field_entry(t.field(i)) for i in range(t.num_fields)]}
    if pat.is_map(t):  # datasets has no map type; Arrow stores it as a list of key/value structs
        return {"list": [field_entry(t.key_field), field_entry(t.item_field)]}
    if pat.is_list(t) or pat.is_large_list(t) or pat.is_fixed_size_list(t):
        key = "large_list" if pat.is_large_list(t) else "list"
        inner = _body(t.value_type)
        out: dict[str, Any] = {key: inner.get("dtype", inner.get("struct", inner))}
        if pat.is_fixed_size_list(t):
            out["length"] = t.list_size
        return out
    return {"dtype": dtype_name(t)}


def field_entry(field: pa.Field) -> dict[str, Any]:
    return {"name": field.name, **_body(field.type)}


def features_yaml(schema: pa.Schema) -> list[dict[str, Any]]:
    """The `features:` list for the card, one entry per column, in column order."""
    return [field_entry(f) for f in schema]
