"""A content pack read straight from its YAML, for a simulation's throwaway database.

The simulator needs a pack's modules and items as trainers wrote them; it stores them the
way the importer does (``Pack``, ``Module``, ``Item`` rows) but without the importer's
validation and re-import bookkeeping, which a fresh, deleted-afterwards database never needs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModuleSpec:
    slug: str
    key: str  # pack/module
    data: dict

    @property
    def item_keys(self) -> list[str]:
        return [f"{self.key}/{item['slug']}" for item in self.data["items"]]


@dataclass(frozen=True)
class PackSpec:
    slug: str
    data: dict
    modules: list[ModuleSpec]


def _read_yaml(path: Path):
    from ruamel.yaml import YAML

    with path.open(encoding="utf-8") as fh:
        return YAML(typ="safe").load(fh)


def read_pack(pack_dir: Path) -> PackSpec:
    """``pack.yaml`` and its modules, in the pack's order."""
    pack_dir = Path(pack_dir)
    if not (pack_dir / "pack.yaml").exists():
        raise ValueError(f"no pack at {pack_dir} (expected {pack_dir / 'pack.yaml'})")
    spec = _read_yaml(pack_dir / "pack.yaml")
    modules = [ModuleSpec(slug, f"{spec['slug']}/{slug}", _read_yaml(pack_dir / f"{slug}.yaml"))
               for slug in spec["modules"]]
    return PackSpec(spec["slug"], spec, modules)
