# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Commands whose output or input is a stream too big to hold in memory (tar, zfs send/receive, zstd).

Private to vzkit.vz; may change in any release. ``Host.run`` captures a command's whole output; a backup
of a container is gigabytes, so these pipelines hand the stream over in chunks: ``read_from`` yields what
the last command writes, ``write_into`` feeds the first command's stdin. Each command is an argv list,
runs with the fixed locale, and a failure of any of them is a ``VzCommandError`` naming it with its
stderr, raised after the whole pipeline has ended (never a process left behind).
"""
from __future__ import annotations

import os
import subprocess
import tempfile

from ._errors import VzCommandError
from ._host import CMD_ENV

CHUNK = 1 << 20


def read_from(argvs: list, *, stdin=None, ok=(0,)):
    """Yield the chunks that the pipeline argvs[0] | argvs[1] | ... writes; stdin, a file for the first;
    ok, the exit statuses that are not failures (GNU tar's 1 says a file changed while it was read)."""
    with _Pipeline(argvs, stdin=stdin, stdout=subprocess.PIPE, ok=ok) as pipe:
        while True:
            chunk = pipe.last.stdout.read(CHUNK)
            if not chunk:
                break
            yield chunk


def write_into(argvs: list, chunks) -> None:
    """Feed chunks to the pipeline argvs[0] | ...; its output is discarded, its errors raised."""
    with _Pipeline(argvs, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, ok=(0,)) as pipe:
        try:
            for chunk in chunks:
                pipe.first.stdin.write(chunk)
        except BrokenPipeError:  # the command stopped reading: its exit status says why
            pass
        finally:
            try:
                pipe.first.stdin.close()
            except BrokenPipeError:
                pass


class _Pipeline:
    def __init__(self, argvs, *, stdin, stdout, ok):
        self.argvs, self.ok = [[str(a) for a in argv] for argv in argvs], ok
        self.stdin, self.stdout = stdin, stdout
        self.procs, self.errs = [], []

    @property
    def first(self):
        return self.procs[0]

    @property
    def last(self):
        return self.procs[-1]

    def __enter__(self):
        env = dict(os.environ, **CMD_ENV)
        upstream = self.stdin
        try:
            for i, argv in enumerate(self.argvs):
                err = tempfile.TemporaryFile()  # stderr to a file: a chatty command never blocks on a full pipe
                self.errs.append(err)
                out = self.stdout if i == len(self.argvs) - 1 else subprocess.PIPE
                proc = subprocess.Popen(argv, stdin=upstream, stdout=out, stderr=err, env=env, close_fds=True)
                if self.procs and self.procs[-1].stdout is not None:
                    self.procs[-1].stdout.close()  # the next command holds it; a reader's exit reaches the writer
                self.procs.append(proc)
                upstream = proc.stdout
        except BaseException:
            self._end(kill=True)
            raise
        return self

    def __exit__(self, kind, exc, tb):
        self._end(kill=kind is not None)
        try:
            failed = [t for t in zip(self.argvs, self.procs, self.errs) if t[1].returncode not in self.ok]
            # a writer killed by SIGPIPE only saw its reader stop: the reader's error is the one to report
            failed.sort(key=lambda t: t[1].returncode == -13)
            if kind is None and failed:
                argv, proc, err = failed[0]
                err.seek(0)
                raise VzCommandError(argv, proc.returncode, "", err.read().decode("utf-8", "replace"))
        finally:
            for err in self.errs:
                err.close()
        return False

    def _end(self, *, kill: bool) -> None:
        for proc in self.procs:
            if kill and proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            if proc.stdout is not None:
                proc.stdout.close()
            proc.wait()


__all__ = ["CHUNK", "read_from", "write_into"]
