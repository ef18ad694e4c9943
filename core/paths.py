"""Where the project keeps its generated data: the default database and the demo inputs."""
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DB = DATA_DIR / "pseudolens.duckdb"


def derived_status_path(db: Path) -> Path:
    """Where `./scripts/start`'s background steps (slices, noise experiment, budget curves, map) say how far they
    are, for the dashboard's sidebar: {"step", "done", "total"}; the script writes it under this same name."""
    return Path(db).with_name(Path(db).name + ".derived.json")
