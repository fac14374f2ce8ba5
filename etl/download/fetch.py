"""
Fetch one archive file into the destination, verified, or leave the destination as it was.

The protocol for one zip and its ``.CHECKSUM``:

1. A local zip that matches the local ``.CHECKSUM`` beside it is skipped: no request at all.
2. Otherwise the archive's ``.CHECKSUM`` is fetched (small). If a local zip already matches it,
   only the ``.CHECKSUM`` is written and the zip is skipped (e.g. a run killed between renames).
3. Otherwise the zip is streamed to ``<name>.zip.part`` while hashed, then either renamed into
   place (then the ``.CHECKSUM`` beside it), or, on a sha256 mismatch, deleted and reported corrupt
   together with any stale local copy, so no unverified zip is left where the ingest would read it.

A zip published without a ``.CHECKSUM`` cannot be verified. By default it is refused: reported
as failed (exit code 1) and not downloaded, because on Binance's archive this is a publication
lag that a later run resolves. With ``allow_unverified`` it is kept, reported as unverified (not
an error), and re-checked on every later run until the archive publishes its ``.CHECKSUM``.
"""

from collections.abc import Callable
from pathlib import Path

from etl.archive import parse_checksum
from etl.download import store
from etl.download.client import ArchiveClient
from etl.download.client import Cancelled
from etl.download.client import FetchFailed
from etl.download.client import NotFound
from etl.download.plan import Target
from etl.download.report import Outcome
from etl.download.report import Status


class Fetcher:
    """
    Bring archive files into a destination folder, one call per file (thread-safe).

    Parameters
    ----------
    client : ArchiveClient
        HTTP access to the archive.
    dest : pathlib.Path
        Destination root; files land at their archive path below it.
    allow_unverified : bool
        Keep zips that the archive publishes without a ``.CHECKSUM`` (see the module docstring).

    """

    def __init__(
        self,
        client: ArchiveClient,
        dest: Path,
        allow_unverified: bool = False,
    ) -> None:
        self.client = client
        self.dest = dest
        self.allow_unverified = allow_unverified

    def fetch(self, target: Target, on_bytes: Callable[[int], None] | None = None) -> Outcome:
        """
        Fetch `target` unless it is already verified locally, and say what happened.

        Never raises for a per-file problem (network, HTTP, local I/O): it becomes the outcome.
        A ``.part`` file never survives the call.

        Parameters
        ----------
        target : Target
            The archive file.
        on_bytes : Callable[[int], None] | None
            Called with each downloaded chunk's size, for progress display.

        Returns
        -------
        Outcome
            The file's status, with the reason when it is not fetched or skipped.

        """
        zip_file = self.dest / target.path
        part = store.part_path(zip_file)
        try:
            return self._fetch(target, zip_file, self.dest / target.checksum_path, part, on_bytes)
        except Cancelled:
            return Outcome(target, Status.FAILED, "interrupted")
        except FetchFailed as exc:
            return Outcome(target, Status.FAILED, str(exc))
        except OSError as exc:
            return Outcome(target, Status.FAILED, f"local I/O error: {exc}")
        finally:
            store.discard(part)

    def _fetch(
        self,
        target: Target,
        zip_file: Path,
        checksum_file: Path,
        part: Path,
        on_bytes: Callable[[int], None] | None,
    ) -> Outcome:
        if store.verified_locally(zip_file, checksum_file):
            return Outcome(target, Status.SKIPPED)
        try:
            checksum_text = self.client.get_small(target.checksum_path)
        except NotFound:
            return self._without_checksum(target, zip_file, part, on_bytes)
        try:
            expected, named = parse_checksum(checksum_text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return self._reject(target, zip_file, checksum_file, f"unusable .CHECKSUM: {exc}")
        if named != zip_file.name:
            return self._reject(
                target, zip_file, checksum_file, f".CHECKSUM names {named}, not {zip_file.name}"
            )
        zip_file.parent.mkdir(parents=True, exist_ok=True)
        if store.matches(zip_file, expected):
            store.write_atomic(checksum_file, checksum_text)
            return Outcome(target, Status.SKIPPED, "local zip matches the archive's .CHECKSUM")
        try:
            got = self.client.download(target.path, part, on_bytes)
        except NotFound:
            return Outcome(target, Status.MISSING, ".CHECKSUM published but the zip is not")
        if got.sha256 != expected:
            return self._reject(
                target,
                zip_file,
                checksum_file,
                f"sha256 {got.sha256} but .CHECKSUM says {expected}",
            )
        # The zip first: a crash between the two renames leaves a zip without a .CHECKSUM,
        # which step 2 resolves next run without downloading it again.
        store.commit(part, zip_file)
        store.write_atomic(checksum_file, checksum_text)
        return Outcome(target, Status.FETCHED, size=got.size)

    def _reject(self, target: Target, zip_file: Path, checksum_file: Path, why: str) -> Outcome:
        # Anything still here failed verification (a verified pair returned early), so it goes too.
        store.discard(zip_file, checksum_file)
        return Outcome(target, Status.CORRUPT, why)

    def _without_checksum(
        self, target: Target, zip_file: Path, part: Path, on_bytes: Callable[[int], None] | None
    ) -> Outcome:
        if not self.allow_unverified:
            if self.client.exists(target.path):
                return Outcome(
                    target,
                    Status.FAILED,
                    "zip published without a .CHECKSUM: refused (retry later, or --allow-unverified)",
                )
            return Outcome(target, Status.MISSING)
        if zip_file.is_file():
            return Outcome(
                target, Status.UNVERIFIED, "kept earlier; the archive still has no .CHECKSUM"
            )
        zip_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            got = self.client.download(target.path, part, on_bytes)
        except NotFound:
            return Outcome(target, Status.MISSING)
        store.commit(part, zip_file)
        return Outcome(
            target, Status.UNVERIFIED, f"no .CHECKSUM published; sha256 {got.sha256}", got.size
        )
