// The configuration of a test Slurm cluster (test/helpers/slurm.ts starts it): slurm.conf, and the
// power-saving and prolog programs of its CLOUD nodes. Pure text and files; no process is started here.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shellQuote as shq } from '../../src/transports/ssh/index.ts';

/** Debian's Slurm 22.05 binaries (and the tools the scripts use), by absolute path. */
export const BIN = {
  slurmctld: '/usr/sbin/slurmctld',
  slurmd: '/usr/sbin/slurmd',
  slurmrestd: '/usr/sbin/slurmrestd',
  munged: '/usr/sbin/munged',
  scontrol: '/usr/bin/scontrol',
  sbatch: '/usr/bin/sbatch',
  jwt: `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/slurm-wlm/auth_jwt.so`,
  unshare: '/usr/bin/unshare',
  perl: '/usr/bin/perl',
  setpriv: '/usr/bin/setpriv',
  flock: '/usr/bin/flock',
};

export function hostlist(prefix: string, n: number): string {
  return n === 1 ? `${prefix}1` : `${prefix}[1-${n}]`;
}

export function portSpec(first: number, n: number): string {
  return n === 1 ? `${first}` : `[${first}-${first + n - 1}]`;
}

export function slurmConf(c: Plan & {
  name: string;
  root: string;
  dirs: Record<'state' | 'spool' | 'log' | 'run' | 'bin', string>;
  files: { ctldLog: string; ctldPid: string; jobComp: string; jwtKey: string };
  ctldPort: number;
  staticPort: number;
  cloudPort: number;
  staticList: string;
  cloudList: string;
}): string {
  const lines = [
    `ClusterName=${c.name}`,
    'SlurmctldHost=localhost',
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    ...(c.rest ? ['AuthAltTypes=auth/jwt', `AuthAltParameters=jwt_key=${c.files.jwtKey}`] : []),
    `SlurmctldPort=${c.ctldPort}`,
    `StateSaveLocation=${c.dirs.state}`,
    `SlurmdSpoolDir=${c.dirs.spool}/%n`,
    `SlurmctldPidFile=${c.files.ctldPid}`,
    `SlurmdPidFile=${c.dirs.run}/slurmd.%n.pid`,
    `SlurmctldLogFile=${c.files.ctldLog}`,
    `SlurmdLogFile=${c.dirs.log}/slurmd.%n.log`,
    `PlugStackConfig=${c.root}/plugstack.conf`,
    'MailProg=/bin/true',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    ...(c.enforceMemory ? ['JobAcctGatherType=jobacct_gather/linux', 'JobAcctGatherParams=OverMemoryKill', 'JobAcctGatherFrequency=1', 'DefMemPerCPU=500'] : ['JobAcctGatherType=jobacct_gather/none']),
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/filetxt',
    `JobCompLoc=${c.files.jobComp}`,
    'MpiDefault=none',
    'SwitchType=switch/none',
    'SchedulerType=sched/backfill',
    'SchedulerParameters=sched_interval=1,bf_interval=1',
    'SelectType=select/cons_tres',
    `SelectTypeParameters=${c.enforceMemory ? 'CR_CPU_Memory' : 'CR_CPU'}`,
    'ReturnToService=2',
    'SlurmdParameters=config_overrides',
    'MessageTimeout=10',
    'SlurmdTimeout=10',
    'InactiveLimit=0',
    'KillWait=3',
    `MinJobAge=${c.minJobAge}`,
    'TreeWidth=65533',
  ];
  if (c.nCloud > 0) {
    lines.push(
      `SuspendProgram=${c.dirs.bin}/suspend.sh`,
      `ResumeProgram=${c.dirs.bin}/resume.sh`,
      `SuspendTime=${c.suspendTime}`,
      'SuspendTimeout=3', // the SuspendProgram's kill is instant; the node is POWERING_DOWN (not usable) this long
      'ResumeTimeout=60',
      'ResumeRate=0',
      'SuspendRate=0',
      `SuspendExcNodes=${c.cloudList}:1,${c.staticList}`,
      'PrivateData=cloud',
      'SlurmctldParameters=idle_on_node_suspend,power_save_interval=1',
      `PrologSlurmctld=${c.dirs.bin}/prolog-slurmctld.sh`,
    );
  }
  lines.push(`NodeName=${c.staticList} NodeHostname=localhost NodeAddr=127.0.0.1 Port=${portSpec(c.staticPort, c.nStatic)} CPUs=2 RealMemory=2000 State=UNKNOWN`);
  if (c.nCloud > 0) lines.push(`NodeName=${c.cloudList} NodeHostname=localhost NodeAddr=127.0.0.1 Port=${portSpec(c.cloudPort, c.nCloud)} CPUs=2 RealMemory=2000 State=CLOUD`);
  lines.push(`PartitionName=debug Nodes=${c.staticList} Default=YES MaxTime=INFINITE State=UP`);
  if (c.nCloud > 0) lines.push(`PartitionName=cloud Nodes=${c.cloudList} MaxTime=INFINITE State=UP`);
  return lines.join('\n') + '\n';
}

/**
 * The power-saving programs: "booting" a cloud node starts its slurmd here, "powering it off" stops
 * that slurmd (by its pid file).
 *  - slurmctld runs ResumeProgram with most signals blocked: the mask is reset (perl) before slurmd,
 *    or slurmd would ignore SIGTERM.
 *  - slurmctld ignores a registration whose boot time predates the resume request (the node stays
 *    POWERING_UP, its job CONFIGURING, until ResumeTimeout): slurmd runs in a new time namespace
 *    whose uptime starts near 0. It is not exactly 0 (unshare's offset is whole seconds, and the
 *    namespace's clock may not go below 0), and slurmd reports its uptime rounded up (sysinfo), so
 *    its boot time (slurmctld's `now - uptime`, whole seconds) can be up to 2 s early: the script
 *    sleeps 2 s first (1 s, as once measured, failed about one resume in four under load).
 */
export function writePowerScripts(dirs: { bin: string; spool: string; run: string; log: string }, conf: string, powerLog: string): void {
  const q = shq;
  // slurmctld launches a batch job whose nodes had to power up only from its periodic job check
  // (every 30 s, PERIODIC_TIMEOUT, compiled in) -- or when the job's PrologSlurmctld ends. So this
  // prolog waits until none of the job's nodes is powered down or powering up (at most 120 s), and
  // the job starts a moment after its node registered instead of up to 30 s later.
  writeFileSync(
    join(dirs.bin, 'prolog-slurmctld.sh'),
    `#!/bin/bash
# PrologSlurmctld: returns once the job's nodes are up
export SLURM_CONF=${q(conf)}
for i in $(seq 1200); do
  states=$(${BIN.scontrol} show node "$SLURM_JOB_NODELIST" -o 2>/dev/null | grep -o ' State=[^ ]*') || states=POWER
  case $states in *POWER*) sleep 0.1 ;; *) exit 0 ;; esac
done
exit 0
`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(dirs.bin, 'resume.sh'),
    `#!/bin/bash
# ResumeProgram <hostlist>
export SLURM_CONF=${q(conf)}
echo "$(date +%T.%N) RESUME $*" >> ${q(powerLog)}
sleep 2
up=$(cut -d. -f1 /proc/uptime)
for h in $(${BIN.scontrol} show hostnames "$1"); do
  mkdir -p ${q(dirs.spool)}/"$h"
  ${BIN.unshare} --time --boottime "-$up" ${BIN.perl} -MPOSIX \\
    -e 'sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV or die' \\
    ${BIN.slurmd} -N "$h" >> ${q(dirs.log)}/slurmd."$h".out 2>&1 </dev/null
done
exit 0
`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(dirs.bin, 'suspend.sh'),
    `#!/bin/bash
# SuspendProgram <hostlist>
export SLURM_CONF=${q(conf)}
echo "$(date +%T.%N) SUSPEND $*" >> ${q(powerLog)}
for h in $(${BIN.scontrol} show hostnames "$1"); do
  f=${q(dirs.run)}/slurmd."$h".pid
  if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; fi
done
exit 0
`,
    { mode: 0o755 },
  );
}

export interface Plan {
  nStatic: number;
  nCloud: number;
  rest: boolean;
  minJobAge: number;
  suspendTime: number;
  enforceMemory: boolean;
  /** Folders each static node sees as its own empty tmpfs (SlurmOptions.nodePrivate). */
  nodePrivate: string[];
}
