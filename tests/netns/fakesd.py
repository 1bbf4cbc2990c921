"""A stand-in for systemd's service manager, for what gatekeeper.service
uses of it, so the fd store can be tested without booting systemd:

- the notification socket of sd_notify(3): a datagram socket with
  SO_PASSCRED; messages from any process but the main one are ignored
  (NotifyAccess=main); READY=1, STOPPING=1, WATCHDOG=1 logged;
- the fd store: FDSTORE=1 with FDNAME= keeps the descriptors sent with
  the message (SCM_RIGHTS), a descriptor already kept is dropped (systemd
  removes duplicates), at most FileDescriptorStoreMax= of them (read from
  the unit file; zero, the default, keeps none); FDSTOREREMOVE=1 with
  FDNAME= closes those of that name; descriptors sent without FDSTORE=1
  are closed;
- Restart=on-failure: when the main process dies of a signal other than
  SIGTERM, SIGINT, SIGHUP or SIGPIPE, or exits non-zero, it is started
  again after FAKESD_RESTART_SEC (default 0.2 s; the unit says 5 s) with
  the kept descriptors as sd_listen_fds(3) passes them: from fd 3 on, and
  LISTEN_PID (the new process's pid), LISTEN_FDS, LISTEN_FDNAMES. A clean
  exit ends the service: the store is emptied and this program exits 0.

usage: fakesd.py UNIT SOCKET LOG -- COMMAND [ARGS...]
SIGTERM stops the service (SIGTERM to it, as systemctl stop) and exits.
LOG gets a line per event:
  start PID fds NAME,NAME    ready PID    stopping PID
  store NAME                 drop NAME why
  remove NAME                exit PID STATUS
If the file LOG.tamper exists when the service is started, it names a kept
descriptor that this start gets replaced by an unsealed memfd of the same
name and size (a region gatekeeperd must refuse); the file is removed.
"""
import array
import fcntl
import os
import select
import signal
import socket
import stat
import struct
import sys
import time

CLEAN_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE)


def store_max(unit):
    n = 0
    with open(unit) as f:
        for line in f:
            if line.startswith("FileDescriptorStoreMax="):
                n = int(line.split("=", 1)[1])
    return n


class Manager:
    def __init__(self, unit, path, log, cmd):
        self.max = store_max(unit)
        self.log_path = log
        self.log = open(log, "a", buffering=1)
        self.cmd = cmd
        self.path = path
        self.store = []             # (name, fd)
        self.pid = None
        self.stopping = False
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(path)

    def say(self, *words):
        self.log.write(" ".join(str(w) for w in words) + "\n")

    def kept(self, fd):
        st = os.fstat(fd)
        for _, k in self.store:
            ks = os.fstat(k)
            if (ks.st_dev, ks.st_ino) == (st.st_dev, st.st_ino):
                return True
        return False

    def tampered(self):
        """The descriptors to pass, one replaced if LOG.tamper says so."""
        fds = list(self.store)
        try:
            with open(self.log_path + ".tamper") as f:
                victim = f.read().strip()
            os.unlink(self.log_path + ".tamper")
        except FileNotFoundError:
            return fds
        for i, (name, fd) in enumerate(fds):
            if name == victim:
                fake = os.memfd_create(name, os.MFD_CLOEXEC)
                os.ftruncate(fake, os.fstat(fd).st_size)
                os.fchmod(fake, 0o600)
                fds[i] = (name, fake)
                self.say("tamper", name)
        return fds

    def start(self):
        fds = self.tampered()
        pid = os.fork()
        if pid == 0:
            try:
                self.exec_child(fds)
            except BaseException as e:
                os.write(2, ("fakesd: cannot start %s: %s\n" %
                             (self.cmd[0], e)).encode())
            os._exit(127)
        for (name, fd), (_, kfd) in zip(fds, self.store):
            if fd != kfd:
                os.close(fd)
        self.pid = pid
        self.say("start", pid, "fds", ",".join(n for n, _ in fds) or "-")

    def exec_child(self, fds):
        # Out of the way first, then at 3, 4, ... (sd_listen_fds(3)).
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 200)
                 for _, fd in fds]
        for i, fd in enumerate(moved):
            os.dup2(fd, 3 + i, inheritable=True)
        os.closerange(3 + len(fds), 4096)
        env = dict(os.environ)
        env["NOTIFY_SOCKET"] = self.path
        for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            env.pop(k, None)
        if fds:
            env["LISTEN_PID"] = str(os.getpid())
            env["LISTEN_FDS"] = str(len(fds))
            env["LISTEN_FDNAMES"] = ":".join(n for n, _ in fds)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.execvpe(self.cmd[0], self.cmd, env)

    def receive(self):
        fdsize = array.array("i").itemsize
        msg, anc, _, _ = self.sock.recvmsg(
            4096, socket.CMSG_SPACE(64 * fdsize) +
            socket.CMSG_SPACE(struct.calcsize("3i")))
        fds, sender = [], None
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(data[:len(data) - len(data) % fdsize])
                fds.extend(a)
            elif level == socket.SOL_SOCKET and \
                    kind == socket.SCM_CREDENTIALS:
                sender = struct.unpack("3i", data[:12])[0]
        fields = dict(l.split("=", 1) for l in
                      msg.decode(errors="replace").split("\n") if "=" in l)
        if sender is None or sender != self.pid:
            self.say("ignored", sender)     # NotifyAccess=main
            for fd in fds:
                os.close(fd)
            return
        if fields.get("READY") == "1":
            self.say("ready", sender)
        if fields.get("STOPPING") == "1":
            self.say("stopping", sender)
        name = fields.get("FDNAME", "stored")
        if fields.get("FDSTOREREMOVE") == "1":
            for n, fd in [e for e in self.store if e[0] == name]:
                os.close(fd)
            self.store = [e for e in self.store if e[0] != name]
            self.say("remove", name)
        for fd in fds:
            if fields.get("FDSTORE") != "1":
                why = "no FDSTORE=1"
            elif self.kept(fd):
                why = "kept already"
            elif len(self.store) >= self.max:
                why = "FileDescriptorStoreMax=%d" % self.max
            else:
                os.set_inheritable(fd, False)
                self.store.append((name, fd))
                self.say("store", name)
                continue
            self.say("drop", name, why)
            os.close(fd)

    def reaped(self):
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return False
        self.say("exit", pid, status)
        self.pid = None
        failed = (os.WIFSIGNALED(status) and
                  os.WTERMSIG(status) not in CLEAN_SIGNALS) or \
            (os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0)
        if failed and not self.stopping:
            time.sleep(float(os.environ.get("FAKESD_RESTART_SEC", "0.2")))
            self.start()
            return False
        return True

    def run(self):
        def term(signum, frame):
            self.stopping = True
            if self.pid is not None:
                os.kill(self.pid, signal.SIGTERM)
        signal.signal(signal.SIGTERM, term)
        self.start()
        while True:
            try:
                r, _, _ = select.select([self.sock], [], [], 0.05)
            except InterruptedError:
                r = []
            if r:
                self.receive()
            if self.pid is not None and self.reaped():
                break
        # The service is dead for good: systemd empties its store.
        while True:
            try:
                r, _, _ = select.select([self.sock], [], [], 0)
            except InterruptedError:
                continue
            if not r:
                break
            self.receive()
        for _, fd in self.store:
            os.close(fd)
        self.say("stopped")


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        sys.exit(__doc__)
    unit, path, log = sys.argv[1:4]
    Manager(unit, path, log, sys.argv[5:]).run()


if __name__ == "__main__":
    main()
