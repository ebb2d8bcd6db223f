"""Data at rest: private folders and files, durable folder entries, free space.

Nobody but the service's user reads what the service keeps (folders 0700, files 0600).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make a folder's entries durable (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def free_bytes(path: Path) -> int:
    """Bytes free for this process on the filesystem holding ``path`` (0 when unreadable)."""
    try:
        return int(shutil.disk_usage(path).free)
    except OSError:
        return 0


#: Modes of what the service keeps at rest: nobody but the service's user reads the data
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as private folders, or make an existing
    ``path`` private; returns it."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    return path


def create_private(path: Path) -> int:
    """A new file (mode 0600, never an existing one: ``FileExistsError``), open for writing;
    returns its descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)


def restrict_tree(root: Path) -> None:
    """Make every folder under ``root`` (itself too) 0700 and every file 0600; symbolic
    links are left alone, never followed. Files that vanish meanwhile are skipped."""
    if not root.is_dir():
        return
    with_modes = [(root, PRIVATE_DIR)]
    for folder, dirs, names in os.walk(root):
        base = Path(folder)
        with_modes += [(base / d, PRIVATE_DIR) for d in dirs]
        with_modes += [(base / n, PRIVATE_FILE) for n in names]
    for path, mode in with_modes:
        if path.is_symlink():
            continue
        try:
            os.chmod(path, mode)
        except FileNotFoundError:
            continue
