"""This machine's secret challenge key: what keeps a weak rubric seed's challenge secret.

A rubric seed of fewer than 128 bits (any TOML integer, the public default rubric's included) is known or
can be guessed, and a sandbox that knows it could compute its own challenge from its own files. The
challenge seed of such a rubric also hashes this key (grader.challenge.challenge_seed): 32 bytes from
`secrets`, created once by the grader's user, mode 600, in a folder of mode 700 that no sandbox sees
(bwrap binds none of it; in process mode as root the sandbox runs under another uid). Grades on the same
machine, by the same user, stay deterministic; another machine draws other challenges, so a deployment
that regrades elsewhere gives its rubric a strong seed (`grader dist gradescope` writes one).

The file is never followed through a symlink, and it is refused (MachineKeyError) unless it is a regular
file of 32 bytes owned by this user and readable by no one else.
"""

import os
import secrets
import stat
from pathlib import Path

from .rubric import RubricError

KEY_ENV = "GRADER_KEY_FILE"  # overrides where the key lives (tests, or a machine whose home is not writable)
KEY_BYTES = 32


class MachineKeyError(RubricError):
    """The machine key cannot be created or is unsafe; the message names the file and the fix."""


def key_path(env=os.environ) -> Path:
    """$GRADER_KEY_FILE, else $XDG_STATE_HOME/dl-grader/challenge.key, else ~/.local/state/dl-grader/challenge.key."""
    if env.get(KEY_ENV):
        return Path(env[KEY_ENV])
    state = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(state) / "dl-grader" / "challenge.key"


def _refuse(path, why):
    return MachineKeyError(f"the challenge key {path} {why}. The rubric's seed is weak (fewer than 128 bits), so the "
                           f"grader needs a secret key of this machine: remove the file so that a new one is made, set "
                           f"{KEY_ENV} to another path, or give the rubric a strong seed (seed = \"0x\" and 64 hex digits)")


def _read(path):
    """The key's bytes, or None when the file does not exist; MachineKeyError when it is unsafe."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NOCTTY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _refuse(path, f"cannot be opened ({exc.strerror}; a symlink is refused)") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(path, "is not a regular file")
        if st.st_uid != os.geteuid() or st.st_mode & 0o077:
            raise _refuse(path, f"is owned by uid {st.st_uid} with mode {st.st_mode & 0o777:o}; it must be this user's "
                                f"(uid {os.geteuid()}) and mode 600")
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        raise _refuse(path, f"holds {len(data)} bytes, not {KEY_BYTES}")
    return data


def _private_folder(folder):
    """Create folder (mode 700) if needed; refuse one that another user owns or may write, or a symlink."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise _refuse(folder / "challenge.key", f"would live in {folder}, which is not a folder of this user that only "
                                                "it may write")


def load_or_create(path=None) -> bytes:
    """This machine's key (KEY_BYTES bytes), made once: concurrent graders agree on the first one written."""
    path = Path(path) if path is not None else key_path()
    key = _read(path)
    if key is not None:
        return key
    try:
        _private_folder(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another grader made it first: theirs is kept
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise _refuse(path, f"cannot be created ({exc.strerror})") from None
    key = _read(path)
    if key is None:
        raise _refuse(path, "vanished as it was created")
    return key
