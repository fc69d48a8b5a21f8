"""Private keys for RemoteCompute.attach_configuration: read here, sent as ssh_key_value, as the CLI does.

Cairn's server takes key text without a passphrase (it seals it at rest), so a key protected by
``private_key_passphrase`` is decrypted on this machine with OpenSSH's ssh-keygen, in a private
temporary folder. The passphrase reaches ssh-keygen through SSH_ASKPASS and an environment
variable, never a command line (which other users could read in the process table).
"""

import io
import os
import shutil
import stat
import subprocess
import tempfile

from ..exceptions import ComputeTargetException

_ASKPASS = "#!/bin/sh\nprintf '%s\\n' \"$CAIRN_KEY_PASSPHRASE\"\n"


def read_private_key(private_key_file, passphrase):
    """The key's text without its passphrase."""
    path = os.path.abspath(os.path.expanduser(private_key_file))
    try:
        with io.open(path, encoding="utf-8") as f:
            text = f.read()
    except (IOError, OSError) as e:
        why = "no such file" if getattr(e, "errno", None) == 2 else "permission denied" if getattr(e, "errno", None) == 13 else str(e)
        raise ComputeTargetException("cannot read private_key_file %s: %s" % (path, why), code="ValidationError")
    keygen = shutil.which("ssh-keygen")
    if not keygen:
        raise ComputeTargetException(
            "private_key_passphrase needs OpenSSH's ssh-keygen on this machine to decrypt %s (Cairn's server takes the key without a passphrase and seals it); install openssh-client, or decrypt a copy with `ssh-keygen -p -f COPY`" % path,
            code="Unsupported",
        )
    tmp = tempfile.mkdtemp(prefix="cairn-key-")
    try:
        key, askpass = os.path.join(tmp, "key"), os.path.join(tmp, "askpass")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with io.open(fd, "w", encoding="utf-8") as f:
            f.write(text)
        with io.open(askpass, "w", encoding="utf-8") as f:
            f.write(_ASKPASS)
        os.chmod(askpass, stat.S_IRWXU)
        env = dict(os.environ, CAIRN_KEY_PASSPHRASE=passphrase, SSH_ASKPASS=askpass, SSH_ASKPASS_REQUIRE="force")
        # No terminal (new session, stdin closed), so ssh-keygen asks SSH_ASKPASS for the old passphrase.
        r = subprocess.run([keygen, "-p", "-N", "", "-f", key], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, timeout=60)
        if r.returncode != 0:
            said = (r.stderr or r.stdout).decode("utf-8", "replace").strip().splitlines()
            raise ComputeTargetException(
                "could not decrypt %s with the private_key_passphrase given: %s" % (path, said[-1] if said else "ssh-keygen exited with %d" % r.returncode),
                code="SshAuthFailed",
            )
        with io.open(key, encoding="utf-8") as f:
            return f.read()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
