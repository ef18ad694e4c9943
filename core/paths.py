"""Where the project keeps its generated data: the default database and the demo inputs."""
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DB = DATA_DIR / "pseudolens.duckdb"
