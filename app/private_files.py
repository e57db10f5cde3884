"""Files that hold personal data or secrets (the SQLite database, the secret key, mails
written to disk, exports) are created readable by their owner only, whatever the umask of
the process: a default umask of 022 would leave them readable by every account on the
server. The mode is set on the open descriptor, so there is no moment when a file exists
with wider permissions."""

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path):
    """Create `path` (and missing parents) readable by its owner only. A folder that exists
    already is left as it is: its permissions are the administrator's choice."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        path.chmod(DIR_MODE)
    return path


def create_private_file(path):
    """Create an empty file readable by its owner only, unless it exists. Returns True when
    it was created."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return True


def write_private_file(path, data):
    """Write `data` (bytes) to a new or existing file, which is readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as f:
        os.fchmod(f.fileno(), FILE_MODE)
        f.write(data)
