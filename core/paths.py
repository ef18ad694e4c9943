"""Where the project keeps its generated data: the default database and the demo inputs."""
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DB = DATA_DIR / "pseudolens.duckdb"


def derived_status_path(db: Path) -> Path:
    """Where `./scripts/start`'s background steps (slices, noise experiment, budget curves, map) say how far they
    are, for the dashboard's sidebar: {"step", "done", "total"}; the script writes it under this same name."""
    return Path(db).with_name(Path(db).name + ".derived.json")


def run_lock_path(db: Path, config_fingerprint: str) -> Path:
    """The lock file a run of a config holds on database `db` while it runs (`core.files.held_lock`): a run
    stored as 'running' whose lock is free was stopped (killed) and can be resumed."""
    return Path(db).with_name(f"{Path(db).name}.run-{config_fingerprint[:16]}.lock")
