"""Content packs: the YAML format trainers write, its validator and its importer."""
