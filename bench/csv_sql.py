"""The raw limit of the students CSV: the database writing the export's bytes with no Python in the
loop, from the export's own SELECT (coursedesk/usecases/students_csv_sql.py):

- PostgreSQL: `COPY (<select>) TO STDOUT WITH (FORMAT csv)`, read through psycopg 3 in 1 MB blocks;
- SQLite: the `sqlite3` command-line shell with `.mode csv` on the same SELECT.

tests/bench/test_csv_sql.py holds both to the export's output.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

from coursedesk.core.sql import literal
from coursedesk.usecases.students_csv_sql import students_csv_params, students_csv_select

BLOCK = 1024 * 1024


def postgres_copy_blocks(connection, *, course_id: int, now, people_only: bool = False) -> Iterator[bytes]:
    """COPY of the SELECT as CSV, gathered into blocks of about 1 MB (no header). `people_only`:
    the enrolments and customers alone (students_csv_select's reference)."""
    params = students_csv_params(connection, course_id=course_id, now=now)
    with connection.cursor() as cursor:
        query = cursor.mogrify(students_csv_select("postgresql", people_only=people_only), params)
        with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
            block = bytearray()
            for data in copy:
                block += data
                if len(block) >= BLOCK:
                    yield bytes(block)
                    block.clear()
            if block:
                yield bytes(block)


def sqlite_shell() -> str:
    path = shutil.which("sqlite3")
    if path is None:
        raise RuntimeError("The sqlite3 command-line shell is missing: apt-get install sqlite3")
    return path


def sqlite_shell_script(*, course_id: int, now: str, people_only: bool = False) -> str:
    """The shell's commands: CSV mode, the two parameters as SQL literals, the SELECT."""
    return (
        ".mode csv\n"
        f".parameter set :course {int(course_id)}\n"
        f'.parameter set :now "{literal(now)}"\n'
        f"{students_csv_select('sqlite', people_only=people_only)};\n"
    )


def sqlite_shell_blocks(
    database: str, *, course_id: int, now: str, people_only: bool = False
) -> Iterator[bytes]:
    """The sqlite3 shell's `.mode csv` output of the SELECT, read from its pipe in 1 MB blocks.

    `now` is the time as stored text (students_csv_params gives it)."""
    process = subprocess.Popen(  # noqa: S603 - the system's sqlite3 shell on our own script
        [sqlite_shell(), "-batch", "-bail", database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdin.write(sqlite_shell_script(course_id=course_id, now=now, people_only=people_only).encode())
    process.stdin.close()
    while block := process.stdout.read(BLOCK):
        yield block
    error = process.stderr.read()
    if process.wait() != 0 or error:
        raise RuntimeError(f"sqlite3 failed: {error.decode(errors='replace')}")
