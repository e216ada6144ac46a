"""A real PostgreSQL server for the tests: Debian's binaries, a fresh cluster
in a temporary directory (initdb), `wal_level=logical`, a free port on
loopback, password (SCRAM) authentication for TCP connections. Stopped and
deleted by stop().

Run as root (as CI does), the server runs as the `postgres` user the Debian
package creates, since PostgreSQL refuses to run as root.
"""
import glob
import os
import shutil
import subprocess
import tempfile
import time

import psycopg

SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "pg-super-secret"
USER = "lakeflow"
PASSWORD = "lakeflow-pw-9f3a"  # a secret: tests check it never shows up


def bin_dir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL's server is not installed (apt-get install postgresql)")
    return os.path.dirname(found[-1])


class PostgresServer:
    def __init__(self, port, wal_level="logical"):
        self.port = port
        self.bin = bin_dir()
        self.dir = tempfile.mkdtemp(prefix="lakeflow-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(SUPERUSER_PASSWORD + "\n")
        if self.as_root:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run("initdb", "-D", self.data, "-U", SUPERUSER, "--pwfile", pwfile,
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                  "--locale=C.UTF-8")
        with open(os.path.join(self.data, "pg_hba.conf"), "a") as f:
            f.write("host replication all 127.0.0.1/32 scram-sha-256\n")
        command = [os.path.join(self.bin, "postgres"), "-D", self.data, "-p", str(port),
                   "-k", self.dir, "-c", "listen_addresses=127.0.0.1",
                   "-c", f"wal_level={wal_level}", "-c", "max_replication_slots=32",
                   "-c", "max_wal_senders=32", "-c", "fsync=off",
                   "-c", "full_page_writes=off"]
        self.proc = subprocess.Popen(self._as_postgres(command), stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT)
        self._wait_ready()
        with self.connect() as conn:
            conn.execute(f"CREATE ROLE {USER} LOGIN REPLICATION PASSWORD '{PASSWORD}'")

    def _as_postgres(self, command):
        return ["runuser", "-u", "postgres", "--", *command] if self.as_root else command

    def _run(self, tool, *args):
        subprocess.run(self._as_postgres([os.path.join(self.bin, tool), *args]), check=True,
                       capture_output=True, cwd=self.dir)

    def _wait_ready(self):
        deadline = time.monotonic() + 60
        while True:
            try:
                with self.connect():
                    return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start: " + open(self.log).read()[-2000:])
                time.sleep(0.1)

    def connect(self, database="postgres", user=SUPERUSER, password=SUPERUSER_PASSWORD):
        return psycopg.connect(host="127.0.0.1", port=self.port, dbname=database, user=user,
                               password=password, autocommit=True)

    def create_database(self, name):
        """A fresh database owned by the test user, with a publication for all tables."""
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" OWNER {USER}')
        return name

    def options(self, database, **extra):
        """`-o k=v` arguments for a `postgres` connection to `database`."""
        values = dict(host="127.0.0.1", port=str(self.port), database=database, user=USER,
                      password=PASSWORD, sslmode="disable", **extra)
        out = []
        for key, value in values.items():
            out += ["-o", f"{key}={value}"]
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # smart shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
