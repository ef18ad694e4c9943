"""The progress callback every long step accepts: `progress(stage, done, total)`; the CLI draws it with tqdm
on a terminal and as a few plain lines in a log, the dashboard with a Streamlit bar."""
from __future__ import annotations

from typing import Callable

Progress = Callable[[str, int, int], None]
