"""What the operating system said went wrong with a file, in the active language.

Python gives an :class:`OSError`'s reason in the C library's English ("No such file or
directory"), whatever the language mrasim speaks. :func:`reason` says the reasons a user
meets when reading a scenario or writing results through the catalogs (their English is the
C library's own, so English output is unchanged), and any other in the system's words.
"""

from __future__ import annotations

import errno

from sim.language import N_, _

REASONS = {
    errno.ENOENT: N_("No such file or directory"),
    errno.EACCES: N_("Permission denied"),
    errno.EPERM: N_("Operation not permitted"),
    errno.EISDIR: N_("Is a directory"),
    errno.ENOTDIR: N_("Not a directory"),
    errno.ENOSPC: N_("No space left on device"),
    errno.EROFS: N_("Read-only file system"),
    errno.EEXIST: N_("File exists"),
    errno.EFBIG: N_("File too large"),
    errno.EDQUOT: N_("Disk quota exceeded"),
    errno.ENAMETOOLONG: N_("File name too long"),
}
"""The reasons said in the user's language, by ``errno``, in glibc's English."""


def reason(exc: OSError) -> str:
    """Why ``exc`` happened, in words: translated when its ``errno`` is one of
    :data:`REASONS`, else the system's own text (or the exception's)."""
    said = REASONS.get(exc.errno) if exc.errno is not None else None
    return _(said) if said is not None else str(exc.strerror or exc)
