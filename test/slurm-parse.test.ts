// The pure side of Slurm support: markers around each command's output, Slurm's times and
// durations, the parsers of what its commands print, the state table, the sbatch command line and
// the grouping of a burst into job arrays.
// Fixtures are real output of Slurm 22.05.8 (Debian's slurm-wlm, a two-node test cluster started
// for the purpose), except sacct's: this machine has no slurmdbd, so those rows follow sacct(1).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newNonce, unwrapOutput, wrapCommand } from '../src/compute/slurm/markers.ts';
import { formatTimeLimit, parseDuration, parseSlurmTime } from '../src/compute/slurm/time.ts';
import {
  SACCT_FIELDS,
  SQUEUE_FORMAT,
  compressHostlist,
  parseExitCode,
  parseHostlist,
  parseJobcompLog,
  parseKeyValues,
  parseSacct,
  parseScontrolRecords,
  parseSlurmVersion,
  parseSqueue,
} from '../src/compute/slurm/parse.ts';
import { TERMINAL_SLURM_STATES, isTerminalSlurmState, mapSlurmState } from '../src/compute/slurm/states.ts';
import { CAIRN_OWNED, checkExtraOptions, oneLineSlurmError, parseSbatchOutput, sbatchArgs, type SbatchRequest } from '../src/compute/slurm/sbatch-options.ts';
import { arrayRequest, parseMarkers, planArrays } from '../src/compute/slurm/arrays.ts';
import { slurmLayout } from '../src/compute/slurm/layout.ts';

const US = '\x1f';
const NONCE = '0123456789abcdef01234567';

/** The shells a login host may have; those missing here are skipped. */
const SHELLS = ['sh', 'dash', 'bash'].filter((s) => spawnSync(s, ['-c', 'true']).status === 0);

function runWrapped(shell: string, script: string, env: NodeJS.ProcessEnv = {}) {
  const nonce = newNonce();
  // A login shell that chats before and after the command, the way a .bashrc or motd does.
  const line = `echo 'Welcome to login1'; printf 'banner without newline'; ${wrapCommand(script, nonce)}; echo 'logout'`;
  const r = spawnSync(shell, ['-c', line], { encoding: 'utf8', env: { ...process.env, TZ: 'Europe/Paris', ...env } });
  return { nonce, stdout: r.stdout, status: r.status, result: unwrapOutput(r.stdout, nonce) };
}

describe('slurm markers', () => {
  for (const shell of SHELLS) {
    it(`${shell}: returns the script's stdout, stderr and exit code, whatever the login shell prints around them`, () => {
      const { stdout, result } = runWrapped(shell, `echo "tz=$TZ fmt=$SLURM_TIME_FORMAT"; echo 'it'"'"'s'; echo oops >&2; printf 'no newline'; exit 3`);
      assert.ok(stdout.startsWith('Welcome to login1\nbanner without newline'));
      assert.ok(stdout.endsWith('logout\n'));
      assert.deepEqual(result, { out: "tz=UTC fmt=%Y-%m-%dT%H:%M:%S\nit's\nno newline", err: 'oops\n', code: 3 });
    });

    it(`${shell}: a syntax error in the script stays inside the markers`, () => {
      const { result } = runWrapped(shell, 'if then fi (');
      assert.ok(result);
      assert.notEqual(result.code, 0);
      assert.match(result.err, /syntax|unexpected/i);
    });

    it(`${shell}: removes its temp file`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'cairn-markers-'));
      try {
        const { result } = runWrapped(shell, 'echo err >&2; true', { TMPDIR: dir });
        assert.deepEqual(result, { out: '', err: 'err\n', code: 0 });
        assert.deepEqual(readdirSync(dir), []);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('the command text never contains a marker, so a shell echoing its input cannot forge one', () => {
    const cmd = wrapCommand('squeue -h', NONCE);
    assert.ok(!cmd.includes(`@@cairn:${NONCE}:`));
    assert.ok(cmd.includes(`cairn_n=${NONCE}`));
  });

  it('ignores banners that look like Slurm output, and marker lines of another nonce inside the payload', () => {
    const stdout =
      'Last login: Thu Dec  3 19:00:00 2026\n123|RUNNING|fake squeue line in the motd\n' +
      `\n@@cairn:${NONCE}:out@@\n` +
      `20${US}RUNNING\n@@cairn:ffffffffffffffff:err@@\n@@cairn:ffffffffffffffff:rc=9@@\n` +
      `\n@@cairn:${NONCE}:err@@\n` +
      'squeue: warning: something\n' +
      `\n@@cairn:${NONCE}:rc=0@@\n` +
      'Connection to login1 closed.\n';
    assert.deepEqual(unwrapOutput(stdout, NONCE), {
      out: `20${US}RUNNING\n@@cairn:ffffffffffffffff:err@@\n@@cairn:ffffffffffffffff:rc=9@@\n`,
      err: 'squeue: warning: something\n',
      code: 0,
    });
  });

  it('is null when a marker is missing, so the caller reports the raw output', () => {
    assert.equal(unwrapOutput('bash: line 1: mktemp: command not found\n', NONCE), null);
    assert.equal(unwrapOutput(`\n@@cairn:${NONCE}:out@@\npartial output\n`, NONCE), null);
    assert.equal(unwrapOutput(`\n@@cairn:${NONCE}:out@@\nx\n@@cairn:${NONCE}:rc=0@@\n`, NONCE), null);
    assert.equal(unwrapOutput(`\n@@cairn:${'a'.repeat(24)}:out@@\n\n@@cairn:${'a'.repeat(24)}:err@@\n\n@@cairn:${'a'.repeat(24)}:rc=0@@\n`, NONCE), null);
  });

  it('nonces are fresh hex; anything else is refused', () => {
    const a = newNonce();
    assert.match(a, /^[0-9a-f]{24}$/);
    assert.notEqual(a, newNonce());
    assert.throws(() => wrapCommand('true', "x'; rm -rf /"), /nonce/);
    assert.throws(() => unwrapOutput('', 'a.*'), /nonce/);
  });
});

describe('slurm times', () => {
  it('parses Slurm times as UTC, and its words for no time as null', () => {
    assert.equal(parseSlurmTime('2026-12-03T19:02:02'), '2026-12-03T19:02:02.000Z');
    assert.equal(parseSlurmTime('6109-12-26T21:12:48'), '6109-12-26T21:12:48.000Z'); // sbatch --test-only's far future
    for (const none of ['Unknown', 'unknown', 'N/A', 'None', '', '(null)']) assert.equal(parseSlurmTime(none), null, none);
  });

  it('refuses times in any other format (SLURM_TIME_FORMAT did not apply) and impossible dates', () => {
    assert.throws(() => parseSlurmTime('Tomorr 12:00'), /'Tomorr 12:00'/);
    assert.throws(() => parseSlurmTime('2026-12-03 19:02:02'), /2026-12-03 19:02:02/);
    assert.throws(() => parseSlurmTime('2026-02-30T00:00:00'), /2026-02-30/);
  });

  it('parses every Slurm duration format to seconds', () => {
    assert.equal(parseDuration('1'), 60); // jobcomp's TimeLimit=1 (minutes)
    assert.equal(parseDuration('1:00'), 60); // squeue %l: minutes:seconds
    assert.equal(parseDuration('00:01:00'), 60); // scontrol's TimeLimit=00:01:00
    assert.equal(parseDuration('00:02:00'), 120); // scontrol's MaxTime=00:02:00
    assert.equal(parseDuration('90:30'), 5430);
    assert.equal(parseDuration('2:03:04'), 7384);
    assert.equal(parseDuration('2-12'), 2 * 86400 + 12 * 3600);
    assert.equal(parseDuration('2-12:30'), 2 * 86400 + 12 * 3600 + 1800);
    assert.equal(parseDuration('5-00:00:00'), 5 * 86400);
    assert.equal(parseDuration('1-02:03:04'), 93784);
  });

  it('has no duration for no limit, and names the text it cannot read', () => {
    for (const none of ['UNLIMITED', 'INFINITE', 'Partition_Limit', 'NOT_SET', 'NONE', 'N/A', 'unlimited']) assert.equal(parseDuration(none), null, none);
    for (const bad of ['abc', '1:2:3:4', '-5', '1-', '1h', '']) assert.throws(() => parseDuration(bad), new RegExp(`'${bad}'`));
  });

  it('formats limits for sbatch --time in whole minutes, rounded up, never UNLIMITED', () => {
    assert.equal(formatTimeLimit(0), '00:01:00');
    assert.equal(formatTimeLimit(1), '00:01:00');
    assert.equal(formatTimeLimit(60), '00:01:00');
    assert.equal(formatTimeLimit(61), '00:02:00');
    assert.equal(formatTimeLimit(3600), '01:00:00');
    assert.equal(formatTimeLimit(86399), '1-00:00:00');
    assert.equal(formatTimeLimit(86400 + 3 * 3600 + 5 * 60), '1-03:05:00');
    assert.equal(formatTimeLimit(30 * 86400), '30-00:00:00');
    assert.equal(parseDuration(formatTimeLimit(7384)), 7440);
    for (const bad of [Infinity, NaN, -1]) assert.throws(() => formatTimeLimit(bad));
  });
});

describe('slurm parsers', () => {
  it('squeue: real 22.05 rows in SQUEUE_FORMAT, pending and running, tasks of a job array by array_task', () => {
    assert.equal(SQUEUE_FORMAT, ['%i', '%T', '%V', '%S', '%D', '%P', '%Q', '%N', '%r', '%j'].join(US));
    const out = [
      ['9', 'PENDING', '2026-12-03T19:05:50', '2026-12-03T21:05:50', '1', 'debug', '4294901752', '', 'BeginTime', 'begin'],
      ['7', 'PENDING', '2026-12-03T19:05:50', 'N/A', '1', 'debug', '5', '', 'DependencyNeverSatisfied', 'dep'],
      ['8', 'PENDING', '2026-12-03T19:05:50', 'N/A', '1', 'debug', '0', '', 'JobHeldUser', 'held'],
      ['20', 'RUNNING', '2026-12-03T19:12:32', '2026-12-03T19:12:32', '2', 'debug', '4294901745', 'n[1-2]', 'None', 'train-run'],
      ['6', 'RUNNING', '2026-12-03T19:05:50', '2026-12-03T19:05:54', '1', 'debug', '4294901754', 'n1', 'None', 'name with spaces|pipe'],
      ['11', 'PENDING', '2026-12-03T19:05:50', 'N/A', '1', 'short', '4294901750', '', 'PartitionTimeLimit', 'toolong'],
      ['30_0', 'RUNNING', '2026-12-04T08:56:17', '2026-12-04T08:56:17', '1', 'debug', '4294901759', 'n1', 'None', 'cairn-array-x'],
      ['30_3', 'PENDING', '2026-12-04T08:56:17', 'N/A', '1', 'debug', '4294901759', '', 'Resources', 'cairn-array-x'],
    ].map((f) => f.join(US));
    const rows = parseSqueue(`${out.join('\n')}\n\n`);
    assert.equal(rows.length, 8);
    assert.deepEqual(rows.slice(6).map((r) => `${r.id}:${r.state}:${r.name}`), ['30_0:RUNNING:cairn-array-x', '30_3:PENDING:cairn-array-x']);
    assert.deepEqual(rows[0], {
      id: '9', name: 'begin', state: 'PENDING', reason: 'BeginTime', submitTime: '2026-12-03T19:05:50.000Z',
      startTime: '2026-12-03T21:05:50.000Z', nodes: '', nodeCount: 1, partition: 'debug', priority: 4294901752,
    });
    assert.equal(rows[1]!.startTime, null);
    assert.deepEqual(rows[3], {
      id: '20', name: 'train-run', state: 'RUNNING', reason: 'None', submitTime: '2026-12-03T19:12:32.000Z',
      startTime: '2026-12-03T19:12:32.000Z', nodes: 'n[1-2]', nodeCount: 2, partition: 'debug', priority: 4294901745,
    });
    assert.equal(rows[4]!.name, 'name with spaces|pipe');
    assert.deepEqual(parseSqueue(''), []);
    assert.deepEqual(parseSqueue('\n\n'), []);
  });

  it('squeue: a job name with the separator or a line break stays whole; free-text reasons pass', () => {
    const name = `odd${US}name\nsecond line`;
    const rows = parseSqueue(['1', 'PENDING', '2026-12-03T19:05:50', 'N/A', '1', 'debug', '0', '', 'launch failed requeued held', name].join(US));
    assert.equal(rows[0]!.name, name);
    assert.equal(rows[0]!.reason, 'launch failed requeued held');
    assert.throws(() => parseSqueue('squeue: error: Invalid user'), /squeue line/);
    assert.throws(() => parseSqueue(['1', 'PENDING', 'x', 'N/A', '1', 'debug', '0', '', 'None', 'n'].join(US)), /'x'/);
  });

  it('sacct: -P rows in SACCT_FIELDS; CANCELLED by uid, exit codes and signals, unassigned nodes', () => {
    assert.equal(SACCT_FIELDS, 'JobID,State,ExitCode,Reason,Submit,Start,End,NodeList,Partition,JobName');
    const out = [
      '1|COMPLETED|0:0|None|2026-12-03T19:05:50|2026-12-03T19:05:51|2026-12-03T19:05:51|n1|debug|ok',
      '2|FAILED|7:0|None|2026-12-03T19:05:50|2026-12-03T19:05:51|2026-12-03T19:05:51|n1|debug|fail7',
      '3|FAILED|0:9|None|2026-12-03T19:05:50|2026-12-03T19:05:51|2026-12-03T19:05:51|n2|debug|sig',
      '4|TIMEOUT|0:0|None|2026-12-03T19:05:50|2026-12-03T19:05:51|2026-12-03T19:07:12|n2|debug|timeout',
      '6|CANCELLED by 0|0:15|None|2026-12-03T19:05:50|2026-12-03T19:05:54|2026-12-03T19:06:13|n1|debug|name with spaces|pipe',
      '10|CANCELLED by 0|0:0|Priority|2026-12-03T19:05:50|None|2026-12-03T19:06:13|None assigned|debug|cancelme',
      '20|RUNNING|0:0|None|2026-12-03T19:12:32|2026-12-03T19:12:32|Unknown|n[1-2]|debug|train-run',
      '21|PENDING|0:0|None|2026-12-03T19:12:32|Unknown|Unknown|None assigned|debug|queued',
      '30_2|COMPLETED|0:0|None|2026-12-04T08:56:17|2026-12-04T08:56:17|2026-12-04T08:56:20|n2|debug|cairn-array-x',
      '',
    ].join('\n');
    const rows = parseSacct(out);
    assert.equal(rows.length, 9);
    assert.deepEqual([rows[8]!.id, rows[8]!.state], ['30_2', 'COMPLETED']);
    assert.deepEqual(rows[0], {
      id: '1', name: 'ok', state: 'COMPLETED', rawState: 'COMPLETED', exitCode: 0, signal: 0, reason: 'None',
      submitTime: '2026-12-03T19:05:50.000Z', startTime: '2026-12-03T19:05:51.000Z', endTime: '2026-12-03T19:05:51.000Z',
      nodes: 'n1', partition: 'debug',
    });
    assert.deepEqual([rows[1]!.exitCode, rows[1]!.signal], [7, 0]);
    assert.deepEqual([rows[2]!.exitCode, rows[2]!.signal], [0, 9]);
    assert.deepEqual([rows[4]!.state, rows[4]!.by, rows[4]!.rawState, rows[4]!.name], ['CANCELLED', '0', 'CANCELLED by 0', 'name with spaces|pipe']);
    assert.deepEqual([rows[5]!.startTime, rows[5]!.nodes, rows[5]!.reason], [null, '', 'Priority']);
    assert.deepEqual([rows[6]!.endTime, rows[6]!.nodes], [null, 'n[1-2]']);
    assert.equal(rows[7]!.by, undefined);
  });

  it('jobcomp/filetxt: the real 22.05 log, last row per job id (a requeued job is written twice), array tasks as array_task', () => {
    const log = [
      'JobId=3 UserId=root(0) GroupId=root(0) Name=sig JobState=FAILED Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-03T19:05:51 EndTime=2026-12-03T19:05:51 NodeList=n2 NodeCnt=1 ProcCnt=1 WorkDir=/tmp/cairn-slurmparse/jobs ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T19:05:50 EligibleTime=2026-12-03T19:05:50 DerivedExitCode=0:0 ExitCode=0:9 ',
      'JobId=1 UserId=root(0) GroupId=root(0) Name=ok JobState=COMPLETED Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-03T19:05:51 EndTime=2026-12-03T19:05:51 NodeList=n1 NodeCnt=1 ProcCnt=1 WorkDir=/tmp/cairn-slurmparse/jobs ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T19:05:50 EligibleTime=2026-12-03T19:05:50 DerivedExitCode=0:0 ExitCode=0:0 ',
      'JobId=2 UserId=root(0) GroupId=root(0) Name=fail7 JobState=FAILED Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-03T19:05:51 EndTime=2026-12-03T19:05:51 NodeList=n1 NodeCnt=1 ProcCnt=1 WorkDir=/tmp/cairn-slurmparse/jobs ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T19:05:50 EligibleTime=2026-12-03T19:05:50 DerivedExitCode=0:0 ExitCode=7:0 ',
      'JobId=10 UserId=root(0) GroupId=root(0) Name=cancelme JobState=CANCELLED Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-03T19:06:13 EndTime=2026-12-03T19:06:13 NodeList=(null) NodeCnt=0 ProcCnt=1 WorkDir=/tmp/cairn-slurmparse/jobs ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T19:05:50 EligibleTime=2026-12-03T19:05:50 DerivedExitCode=0:0 ExitCode=0:0 ',
      'JobId=6 UserId=root(0) GroupId=root(0) Name=name with spaces|pipe JobState=CANCELLED Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-03T19:05:54 EndTime=2026-12-03T19:06:13 NodeList=n1 NodeCnt=1 ProcCnt=1 WorkDir=/tmp/cairn-slurmparse/jobs ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T19:05:50 EligibleTime=2026-12-03T19:05:50 DerivedExitCode=0:0 ExitCode=0:0 ',
      'JobId=5 UserId=root(0) GroupId=root(0) Name=long1 JobState=PENDING Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-03T19:05:54 EndTime=2026-12-03T19:06:41 NodeList=n[1-2] NodeCnt=2 ProcCnt=2 WorkDir=/tmp/cairn-slurmparse/jobs ReservationName= Tres=cpu=2,mem=2000M,node=2,billing=2 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T19:05:50 EligibleTime=2026-12-03T19:05:50 DerivedExitCode=0:0 ExitCode=0:0 ',
      'JobId=4 UserId=root(0) GroupId=root(0) Name=timeout JobState=TIMEOUT Partition=debug TimeLimit=1 StartTime=2026-12-03T19:05:51 EndTime=2026-12-03T19:07:12 NodeList=n2 NodeCnt=1 ProcCnt=1 WorkDir=/tmp/cairn-slurmparse/jobs ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T19:05:50 EligibleTime=2026-12-03T19:05:50 DerivedExitCode=0:0 ExitCode=0:0 ',
      'JobId=5 UserId=root(0) GroupId=root(0) Name=long1 JobState=CANCELLED Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-03T19:08:42 EndTime=2026-12-03T19:09:02 NodeList=n[1-2] NodeCnt=2 ProcCnt=2 WorkDir=/tmp/cairn-slurmparse/jobs ReservationName= Tres=cpu=2,mem=2000M,node=2,billing=2 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T19:06:41 EligibleTime=2026-12-03T19:08:42 DerivedExitCode=0:0 ExitCode=0:0 ',
      'JobId=19 UserId=root(0) GroupId=root(0) Name=arr JobState=COMPLETED Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-03T19:09:02 EndTime=2026-12-03T19:09:02 NodeList=n1 NodeCnt=1 ProcCnt=1 WorkDir=/tmp/cairn-slurmparse/jobs ReservationName= Tres=cpu=1,mem=1000M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-12-03T19:09:02 EligibleTime=2026-12-03T19:09:02 ArrayJobId=18 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=0:0 ',
      '',
    ].join('\n');
    const rows = parseJobcompLog(log);
    assert.deepEqual(rows.map((r) => `${r.id}:${r.state}`), ['3:FAILED', '1:COMPLETED', '2:FAILED', '10:CANCELLED', '6:CANCELLED', '4:TIMEOUT', '5:CANCELLED', '18_1:COMPLETED']);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    assert.deepEqual(byId['2'], {
      id: '2', name: 'fail7', user: 'root(0)', state: 'FAILED', partition: 'debug', timeLimitSeconds: null,
      startTime: '2026-12-03T19:05:51.000Z', endTime: '2026-12-03T19:05:51.000Z', submitTime: '2026-12-03T19:05:50.000Z',
      eligibleTime: '2026-12-03T19:05:50.000Z', nodes: 'n1', nodeCount: 1, exitCode: 7, signal: 0, derivedExitCode: 0,
      derivedSignal: 0, workDir: '/tmp/cairn-slurmparse/jobs',
    });
    assert.deepEqual([byId['3']!.exitCode, byId['3']!.signal], [0, 9]);
    assert.equal(byId['4']!.timeLimitSeconds, 60);
    assert.deepEqual([byId['5']!.startTime, byId['5']!.nodes, byId['5']!.nodeCount], ['2026-12-03T19:08:42.000Z', 'n[1-2]', 2]);
    assert.equal(byId['6']!.name, 'name with spaces|pipe');
    assert.deepEqual([byId['10']!.nodes, byId['10']!.nodeCount], ['', 0]);
    assert.deepEqual([byId['18_1']!.arrayJobId, byId['18_1']!.arrayTaskId], ['18', '1']);
  });

  it('jobcomp/filetxt: Unknown times, and a name or work dir with spaces and `=` stay whole', () => {
    const [row] = parseJobcompLog(
      'JobId=7 UserId=alice(1000) GroupId=alice(1000) Name=lr=0.1 sweep JobState=CANCELLED Partition=gpu TimeLimit=120 StartTime=Unknown EndTime=2026-12-03T19:06:13 NodeList=(null) NodeCnt=0 ProcCnt=1 WorkDir=/home/alice/my runs ReservationName= Tres=cpu=1,node=1 Account=ml QOS=normal WcKey= Cluster=test SubmitTime=2026-12-03T19:05:50 EligibleTime=unknown DerivedExitCode=0:0 ExitCode=0:0 \n',
    );
    assert.deepEqual(
      [row!.name, row!.workDir, row!.startTime, row!.eligibleTime, row!.timeLimitSeconds, row!.user],
      ['lr=0.1 sweep', '/home/alice/my runs', null, null, 7200, 'alice(1000)'],
    );
    assert.deepEqual(parseJobcompLog('\n# not a record\n'), []);
    // A read that caught slurmctld mid-line, or started mid-line (tail -c).
    assert.deepEqual(parseJobcompLog('Id=1 UserId=root(0) JobState=COMPLETED \nJobId=2 UserId=ro'), []);
  });

  it('scontrol -o: real job, node and partition lines; values with spaces and `=` stay whole', () => {
    const job =
      'JobId=12 JobName=commented UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=0 Nice=0 Account=(null) QOS=(null) JobState=PENDING Reason=JobHeldUser Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:00 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-12-03T19:06:38 EligibleTime=Unknown AccrueTime=Unknown StartTime=Unknown EndTime=Unknown Deadline=N/A SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-12-03T19:06:38 Scheduler=Main Partition=debug AllocNode:Sid=localhost:14422 ReqNodeList=(null) ExcNodeList=(null) NodeList= NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* TRES=cpu=1,mem=1000M,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null) Command=(null) WorkDir=/tmp/cairn-slurmparse/jobs Comment=hello world a=b  StdErr=/tmp/cairn-slurmparse/jobs/slurm-12.out StdIn=/dev/null StdOut=/tmp/cairn-slurmparse/jobs/slurm-12.out Power= ';
    const j = parseKeyValues(job);
    assert.equal(j.JobId, '12');
    assert.equal(j.Comment, 'hello world a=b');
    assert.equal(j.TRES, 'cpu=1,mem=1000M,node=1,billing=1');
    assert.equal(j['AllocNode:Sid'], 'localhost:14422');
    assert.equal(j['CPUs/Task'], '1');
    assert.equal(j['ReqB:S:C:T'], '0:0:*:*');
    assert.equal(j.NodeList, '');
    assert.equal(j.Power, '');
    assert.equal(j.StdErr, '/tmp/cairn-slurmparse/jobs/slurm-12.out');
    assert.equal(parseDuration(parseKeyValues('JobId=4 JobState=TIMEOUT Reason=TimeLimit TimeLimit=00:01:00').TimeLimit!), 60);

    const node =
      'NodeName=n2 Arch=x86_64 CoresPerSocket=1  CPUAlloc=2 CPUEfctv=2 CPUTot=2 CPULoad=1.53 AvailableFeatures=(null) ActiveFeatures=(null) Gres=(null) NodeAddr=127.0.0.1 NodeHostName=localhost Port=16819 Version=22.05.8 OS=Linux 6.18.44-fc-v1147 #1 SMP PREEMPT_DYNAMIC @0  RealMemory=1000 AllocMem=0 FreeMem=20557 Sockets=2 Boards=1 State=ALLOCATED+DRAIN ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A Partitions=debug,short  BootTime=2026-12-03T08:32:35 SlurmdStartTime=2026-12-03T19:05:43 LastBusyTime=2026-12-03T19:05:43 CfgTRES=cpu=2,mem=1000M,billing=2 AllocTRES=cpu=2 CapWatts=n/a CurrentWatts=0 AveWatts=0 ExtSensorsJoules=n/s ExtSensorsWatts=0 ExtSensorsTemp=n/s Reason=maint window: swap DIMM [root@2026-12-03T19:06:38]';
    const n = parseKeyValues(node);
    assert.equal(n.OS, 'Linux 6.18.44-fc-v1147 #1 SMP PREEMPT_DYNAMIC @0');
    assert.equal(n.State, 'ALLOCATED+DRAIN');
    assert.equal(n.Partitions, 'debug,short');
    assert.equal(n.CoresPerSocket, '1');
    assert.equal(n.Reason, 'maint window: swap DIMM [root@2026-12-03T19:06:38]');

    const partition =
      'PartitionName=short AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL AllocNodes=ALL Default=NO QoS=N/A DefaultTime=NONE DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO MaxNodes=UNLIMITED MaxTime=00:02:00 MinNodes=0 LLN=NO MaxCPUsPerNode=UNLIMITED Nodes=n[1-2] PriorityJobFactor=1 PriorityTier=1 RootOnly=NO ReqResv=NO OverSubscribe=NO OverTimeLimit=NONE PreemptMode=OFF State=UP TotalCPUs=4 TotalNodes=2 SelectTypeParameters=NONE JobDefaults=(null) DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED TRES=cpu=4,mem=2000M,node=2,billing=4';
    const p = parseKeyValues(partition);
    assert.deepEqual([p.PartitionName, p.MaxTime, p.Nodes, p.State], ['short', '00:02:00', 'n[1-2]', 'UP']);
    assert.deepEqual([parseDuration(p.MaxTime!), parseDuration(p.DefaultTime!)], [120, null]);

    const records = parseScontrolRecords(`${job}\n\n${node}\n`);
    assert.deepEqual(records.map((r) => r.JobId ?? r.NodeName), ['12', 'n2']);
    assert.deepEqual(parseScontrolRecords('No jobs in the system\n'), []);
  });

  it('versions from sinfo --version and scontrol --version', () => {
    assert.deepEqual(parseSlurmVersion('slurm-wlm 22.05.8\n'), { major: 22, minor: 5, text: '22.05.8' });
    assert.deepEqual(parseSlurmVersion('slurm 22.05.8\n'), { major: 22, minor: 5, text: '22.05.8' });
    assert.deepEqual(parseSlurmVersion('slurm 23.11.0-0rc1'), { major: 23, minor: 11, text: '23.11.0-0rc1' });
    assert.deepEqual(parseSlurmVersion('Welcome!\nslurm 24.05.3\n'), { major: 24, minor: 5, text: '24.05.3' });
    assert.equal(parseSlurmVersion('bash: sinfo: command not found'), null);
  });

  it('expands host lists as scontrol show hostnames does, leading zeros kept', () => {
    assert.deepEqual(parseHostlist('n[1-3]'), ['n1', 'n2', 'n3']);
    assert.deepEqual(parseHostlist('c[1,3-4]'), ['c1', 'c3', 'c4']);
    assert.deepEqual(parseHostlist('gpu[01-02],login1'), ['gpu01', 'gpu02', 'login1']);
    assert.deepEqual(parseHostlist('n[8-11]'), ['n8', 'n9', 'n10', 'n11']);
    assert.deepEqual(parseHostlist('n[098-101]'), ['n098', 'n099', 'n100', 'n101']);
    assert.deepEqual(parseHostlist('rack[1-2]-n[01-02]'), ['rack1-n01', 'rack1-n02', 'rack2-n01', 'rack2-n02']);
    assert.deepEqual(parseHostlist('n[1-2][3-4]'), ['n13', 'n14', 'n23', 'n24']);
    assert.deepEqual(parseHostlist('a[1-2],b'), ['a1', 'a2', 'b']);
    assert.deepEqual(parseHostlist('n1'), ['n1']);
    for (const none of ['', '(null)', 'None assigned']) assert.deepEqual(parseHostlist(none), []);
    for (const bad of ['x[3-1]', 'n[1-', 'n[a-b]', 'n[1]]', 'a,,b']) assert.throws(() => parseHostlist(bad), Error, bad);
    assert.throws(() => parseHostlist('n[1-10000000]'), /too long/);
  });

  it('compresses host lists as scontrol show hostlist does', () => {
    assert.equal(compressHostlist(['n1', 'n2', 'n3', 'n05', 'n06', 'gpu01', 'gpu10', 'gpu2', 'login']), 'n[1-3,05-06],gpu[01,2,10],login');
    assert.equal(compressHostlist(['n9', 'n10', 'n11']), 'n[9-11]');
    assert.equal(compressHostlist(['n3', 'n1', 'n2', 'n2']), 'n[1-3]');
    assert.equal(compressHostlist(['n098', 'n099', 'n100']), 'n[098-100]');
    assert.equal(compressHostlist(['n5']), 'n5');
    assert.equal(compressHostlist([]), '');
    for (const names of [['gpu01', 'gpu02', 'gpu03', 'gpu07', 'login1'], ['n08', 'n09', 'n10', 'n100'], ['a1', 'a01', 'a2']]) {
      assert.deepEqual(parseHostlist(compressHostlist(names)).sort(), [...names].sort(), names.join(','));
    }
    assert.throws(() => compressHostlist(['n[1-2]']));
  });

  it('exit codes', () => {
    assert.deepEqual(parseExitCode('7:0'), { code: 7, signal: 0 });
    assert.deepEqual(parseExitCode('0:15'), { code: 0, signal: 15 });
    assert.equal(parseExitCode(''), null);
    assert.equal(parseExitCode('7'), null);
  });
});

describe('slurm states', () => {
  const m = (state: string, more: Partial<Parameters<typeof mapSlurmState>[0]> = {}) => mapSlurmState({ jobId: '123', state, ...more });

  it('PENDING is queued, with Slurm reason, a gloss and the jobs ahead', () => {
    assert.deepEqual(m('PENDING', { reason: 'Resources', ahead: 4 }), {
      phase: 'queued',
      reason: 'Slurm job 123 is pending: Resources, waiting for nodes to free up (4 jobs ahead)',
    });
    assert.equal(m('PENDING', { reason: 'Priority', ahead: 1 }).reason, 'Slurm job 123 is pending: Priority, jobs with higher priority go first (1 job ahead)');
    assert.equal(m('PENDING').reason, 'Slurm job 123 is pending');
    assert.equal(m('PENDING', { reason: 'SomethingNew' }).reason, 'Slurm job 123 is pending: SomethingNew');
    const glossed = [
      'Dependency', 'DependencyNeverSatisfied', 'QOSMaxJobsPerUserLimit', 'AssocGrpCpuLimit', 'PartitionTimeLimit', 'ReqNodeNotAvail',
      'BeginTime', 'JobHeldUser', 'JobHeldAdmin', 'PartitionDown', 'PartitionNodeLimit', 'PartitionConfig', 'QOSMaxWallDurationPerJobLimit',
      'Reservation', 'NodeDown', 'launch failed requeued held', 'launch_failed_requeued_held', '(Resources)',
      'ReqNodeNotAvail, UnavailableNodes:n2', 'QOSGrpGRES', 'QOSMaxGRESPerUser', 'AssocMaxJobsLimit', 'None',
    ];
    for (const reason of glossed) {
      const r = m('PENDING', { reason });
      assert.equal(r.phase, 'queued');
      assert.ok(r.reason.startsWith(`Slurm job 123 is pending: ${reason}, `), r.reason);
    }
  });

  it('requeued and held states are queued; CONFIGURING is provisioning', () => {
    for (const s of ['REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD']) {
      const r = m(s);
      assert.equal(r.phase, 'queued', s);
      assert.ok(r.reason.startsWith(`Slurm job 123 is ${s}: `), r.reason);
    }
    assert.deepEqual(m('CONFIGURING'), { phase: 'provisioning', reason: 'Slurm job 123 is CONFIGURING: its nodes are powering up' });
  });

  it('running states, suspended and stopped included', () => {
    assert.deepEqual(m('RUNNING', { nodes: 'n[1-2]' }), { phase: 'running', reason: 'Slurm job 123 is RUNNING on n[1-2]' });
    for (const s of ['COMPLETING', 'SIGNALING', 'STAGE_OUT', 'RESIZING', 'SUSPENDED', 'STOPPED']) {
      const r = m(s);
      assert.equal(r.phase, 'running', s);
      assert.ok(r.reason.startsWith(`Slurm job 123 is ${s}: `), r.reason);
    }
    assert.equal(m('SUSPENDED').reason, 'Slurm job 123 is SUSPENDED: suspended by Slurm');
  });

  it('ended states with their outcomes and reasons', () => {
    assert.deepEqual(m('COMPLETED', { exitCode: 0 }), { phase: 'ended', outcome: 'succeeded', exitCode: 0, reason: 'Slurm job 123 ended COMPLETED: exit code 0' });
    assert.equal(m('COMPLETED').exitCode, 0);
    assert.deepEqual(m('FAILED', { exitCode: 7, signal: 0 }), { phase: 'ended', outcome: 'failed', exitCode: 7, reason: 'Slurm job 123 ended FAILED: exit code 7' });
    assert.equal(m('FAILED', { exitCode: 0, signal: 9 }).reason, 'Slurm job 123 ended FAILED: exit code 0, signal 9');
    assert.equal(m('FAILED').exitCode, null);
    assert.deepEqual(m('TIMEOUT', { timeLimit: '01:00:00' }), {
      phase: 'ended', outcome: 'timed_out', exitCode: null, reason: 'Slurm job 123 ended TIMEOUT: Slurm ended it at its time limit (01:00:00)',
    });
    assert.equal(m('TIMEOUT').reason, 'Slurm job 123 ended TIMEOUT: Slurm ended it at its time limit');
    assert.deepEqual(m('CANCELLED by 0', { exitCode: 0 }), {
      phase: 'ended', outcome: 'canceled', exitCode: 0, reason: 'Slurm job 123 ended CANCELLED by 0: canceled in Slurm (scancel)',
    });
    assert.equal(m('CANCELLED+').outcome, 'canceled');
    assert.deepEqual(m('OUT_OF_MEMORY', { exitCode: 0 }), { phase: 'ended', outcome: 'failed', exitCode: 0, reason: 'Slurm job 123: ran out of memory (OUT_OF_MEMORY)' });
    assert.deepEqual(m('NODE_FAIL', { nodes: 'n2' }), { phase: 'ended', outcome: 'preempted', exitCode: null, reason: 'Slurm job 123: node(s) n2 failed (NODE_FAIL); requeued' });
    assert.equal(m('PREEMPTED').outcome, 'preempted');
    assert.deepEqual([m('BOOT_FAIL').outcome, m('BOOT_FAIL').reason], ['failed', 'Slurm job 123: its nodes failed to boot (BOOT_FAIL)']);
    assert.equal(m('DEADLINE').outcome, 'failed');
    assert.equal(m('SPECIAL_EXIT', { exitCode: 3 }).outcome, 'failed');
    assert.equal(m('REVOKED').outcome, 'canceled');
    for (const s of TERMINAL_SLURM_STATES) {
      const r = m(s);
      assert.equal(r.phase, 'ended', s);
      assert.ok(r.reason.includes('Slurm job 123') && r.reason.includes(s), r.reason);
    }
  });

  it('an unknown state is unknown, never guessed', () => {
    assert.deepEqual(m('POWER_UP_NODE'), { phase: 'unknown', reason: "Slurm job 123: unknown Slurm state 'POWER_UP_NODE'" });
    assert.deepEqual(m(''), { phase: 'unknown', reason: "Slurm job 123: unknown Slurm state ''" });
    assert.equal(m('CD').phase, 'unknown');
  });

  it('terminal states', () => {
    assert.deepEqual([...TERMINAL_SLURM_STATES].sort(), [
      'BOOT_FAIL', 'CANCELLED', 'COMPLETED', 'DEADLINE', 'FAILED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'REVOKED', 'SPECIAL_EXIT', 'TIMEOUT',
    ]);
    assert.equal(isTerminalSlurmState('CANCELLED by 1000'), true);
    assert.equal(isTerminalSlurmState('COMPLETED'), true);
    for (const s of ['PENDING', 'RUNNING', 'COMPLETING', 'REQUEUED', 'SUSPENDED', 'SOMETHING']) assert.equal(isTerminalSlurmState(s), false, s);
  });
});

describe('sbatch options', () => {
  it("refuses Cairn's options in every form sbatch accepts", () => {
    assert.equal(checkExtraOptions(['--nodes=2']), "sbatch_options: --nodes is Cairn's (set from resources.instance_count); remove it");
    const refused: [string, string][] = [
      ['--nodes 2', '--nodes'],
      ['-N2', '-N'],
      ['-N 2', '-N'],
      ['--time=10', '--time'],
      ['-t 10', '-t'],
      ['--gres=gpu:2', '--gres'],
      ['--gpus=2', '--gpus'],
      ['-G2', '-G'],
      ['--output=x.log', '--output'],
      ['-o x', '-o'],
      ['-e x', '-e'],
      ['-J name', '-J'],
      ['--partition=gpu', '--partition'],
      ['-pgpu', '-p'],
      ['--parti=gpu', '--parti (--partition)'],
      ['-A acct', '-A'],
      ['-q high', '-q'],
      ['--nice=10', '--nice'],
      ['--requeue', '--requeue'],
      ['--no-requeue', '--no-requeue'],
      ['--array=1-3', '--array'],
      ['--export=ALL', '--export'],
      ['-n 4', '-n'],
      ['--ntasks-per-node=2', '--ntasks-per-node'],
      ['--wait', '--wait'],
      ['-vW', '-W'],
      ['-vH', '-H'],
      ['--test-only', '--test-only'],
      ['--dependency=afterok:1', '--dependency'],
      ['-d afterok:1', '-d'],
      ['--open-mode=append', '--open-mode'],
      ['--signal=USR1@60', '--signal'],
      ['--kill-on-invalid-dep=yes', '--kill-on-invalid-dep'],
      ['--chdir=/tmp', '--chdir'],
      ['-D /tmp', '-D'],
      ['--wrap=true', '--wrap'],
      ['--parsable', '--parsable'],
    ];
    for (const [opt, named] of refused) {
      const r = checkExtraOptions(['--mem=4G', opt]);
      assert.ok(r?.startsWith(`sbatch_options: ${named} is Cairn's (`) && r.endsWith('); remove it'), `${opt}: ${r}`);
    }
    assert.match(checkExtraOptions(['--no-requeue'])!, /Cairn requeues preempted jobs itself, as new attempts/);
    assert.match(checkExtraOptions(['-J x'])!, /Cairn finds its submissions by name/);
  });

  it('refuses what is not one option, or carries a line break or NUL', () => {
    for (const bad of ['4G', ' --mem=4G', '-', '--', '--=x', '---x']) assert.match(checkExtraOptions([bad])!, /is not an option/, bad);
    for (const bad of ['--mem=4G\n#SBATCH --nodes=9', '--comment=a\0b', '--comment=a\rb']) assert.match(checkExtraOptions([bad])!, /line break or NUL/);
  });

  it("lets options Cairn does not own pass, values that merely contain Cairn's letters too", () => {
    assert.equal(checkExtraOptions([]), null);
    const fine = ['--mem=4G', '--mem 4G', '--constraint=a100', '--exclusive', '--mail-type=END', '-C gpu', '-Cgpu', '-vv', '--comment=--nodes=2', '-w n[1-2]', '--time-min=10', '--wait-all-nodes=1', '--ntasks-per-core=1', '--export-file=env', '--mem-per-gpu=8G', '-s', '-Q'];
    assert.equal(checkExtraOptions(fine), null);
    for (const owned of Object.keys(CAIRN_OWNED)) assert.notEqual(checkExtraOptions([owned]), null, owned);
  });

  const base = { jobName: 'cairn-j1-a1', nodes: 2, output: '/scratch/cairn/j1/slurm-%j.log', chdir: '/scratch/cairn/j1', extra: [] };

  it('builds the sbatch options, Cairn first and the extra options last', () => {
    assert.deepEqual(sbatchArgs(base), [
      '--parsable', '--no-requeue', '--job-name=cairn-j1-a1', '--nodes=2', '--ntasks-per-node=1',
      '--output=/scratch/cairn/j1/slurm-%j.log', '--chdir=/scratch/cairn/j1',
    ]);
    assert.deepEqual(
      sbatchArgs({ ...base, partition: 'gpu', account: 'ml', qos: 'high', nice: 10, timeLimitSeconds: 3601, gpusPerNode: 4, extra: ['--mem=4G', '--constraint a100', '-C gpu', '--exclusive'] }).slice(7),
      ['--partition=gpu', '--account=ml', '--qos=high', '--nice=10', '--time=01:01:00', '--gres=gpu:4', '--mem=4G', '--constraint=a100', '-Cgpu', '--exclusive'],
    );
    assert.ok(!sbatchArgs({ ...base, timeLimitSeconds: null, gpusPerNode: 0 }).some((a) => a.startsWith('--time') || a.startsWith('--gres')));
    assert.throws(() => sbatchArgs({ ...base, extra: ['--nodes=9'] }), /--nodes is Cairn's/);
    assert.throws(() => sbatchArgs({ ...base, nodes: 0 }), /nodes/);
    assert.throws(() => sbatchArgs({ ...base, gpusPerNode: 1.5 }), /GPUs/);
    assert.equal(sbatchArgs({ ...base, arrayTasks: 200 }).at(-1), '--array=0-199');
    assert.throws(() => sbatchArgs({ ...base, arrayTasks: 0 }), /array tasks/);
  });

  it('reads the job id from --parsable output, noise before it or not', () => {
    assert.deepEqual(parseSbatchOutput('17\n'), { jobId: '17' });
    assert.deepEqual(parseSbatchOutput('123;clusterA\n'), { jobId: '123', cluster: 'clusterA' });
    assert.deepEqual(parseSbatchOutput('Welcome\n2026\nsbatch: warning: x\n42\n'), { jobId: '42' });
    assert.equal(parseSbatchOutput(''), null);
    assert.equal(parseSbatchOutput('Submitted to nothing\n'), null);
  });

  it("puts Slurm's own error in one line (real 22.05 stderr)", () => {
    assert.equal(
      oneLineSlurmError('sbatch: error: invalid partition specified: nosuch\nsbatch: error: Batch job submission failed: Invalid partition name specified\n'),
      'Batch job submission failed: Invalid partition name specified',
    );
    assert.equal(
      oneLineSlurmError('sbatch: error: Memory specification can not be satisfied\nsbatch: error: Batch job submission failed: Requested node configuration is not available\n'),
      'Batch job submission failed: Requested node configuration is not available',
    );
    assert.equal(oneLineSlurmError('sbatch: error: Invalid --time specification\n'), 'Invalid --time specification');
    assert.equal(oneLineSlurmError('sbatch: unrecognized option \'--bogus\'\nTry "sbatch --help" for more information\n'), "unrecognized option '--bogus'");
    assert.equal(oneLineSlurmError('slurm_load_jobs error: Invalid job id specified\n'), 'Invalid job id specified');
    assert.equal(oneLineSlurmError('\nsomething odd\n\n'), 'something odd');
    assert.equal(oneLineSlurmError(''), '');
    assert.equal(oneLineSlurmError(`sbatch: error: ${'x'.repeat(500)}`).length, 300);
  });
});

describe('job arrays for bursts', () => {
  const layout = slurmLayout('/shared/cairn/slurm-hpc');
  const sub = (name: string, o: Partial<SbatchRequest> = {}) => ({ name, request: { jobName: name, nodes: 1, partition: 'debug', output: `/x/${name}/slurm-%j.out`, chdir: `/x/${name}`, extra: [], ...o } });

  it('groups submissions whose options differ only in name, output and folder; one alone goes as it is', () => {
    const subs = [sub('a'), sub('b'), sub('c', { nodes: 2 }), sub('d'), sub('e', { timeLimitSeconds: 60 }), sub('f', { timeLimitSeconds: 60 })];
    const plan = planArrays(subs, 1000);
    assert.deepEqual(plan.singles.map((s) => s.name), ['c']);
    assert.deepEqual(plan.arrays.map((g) => g.members.map((m) => m.name)), [['a', 'b', 'd'], ['e', 'f']]);
    assert.match(plan.arrays[0]!.name, /^cairn-array-[0-9a-f-]{36}$/);
    assert.notEqual(plan.arrays[0]!.name, plan.arrays[1]!.name);
  });

  it('keeps each array within MaxArraySize, and submits one by one where the site turned arrays off', () => {
    const subs = Array.from({ length: 7 }, (_, i) => sub(`s${i}`));
    assert.deepEqual(planArrays(subs, 3).arrays.map((g) => g.members.length), [3, 3]);
    assert.deepEqual(planArrays(subs, 3).singles.map((s) => s.name), ['s6']);
    assert.deepEqual(planArrays(subs, 0), { singles: subs, arrays: [] });
    assert.deepEqual(planArrays(subs, 1).arrays, []);
  });

  it("an array's request: the members' options, output through the task links, --array over every member", () => {
    const [g] = planArrays([sub('a', { qos: 'high' }), sub('b', { qos: 'high' })], 1000).arrays;
    const r = arrayRequest(layout, g!);
    assert.deepEqual(r, { ...g!.members[0]!.request, jobName: g!.name, output: `/shared/cairn/slurm-hpc/arrays/${g!.name}/%a/slurm-%j.out`, chdir: `/shared/cairn/slurm-hpc/arrays/${g!.name}`, arrayTasks: 2 });
    assert.ok(sbatchArgs(r).includes('--array=0-1'));
  });

  it('reads the array markers of submissions, ignoring anything else a shell printed', () => {
    const m = parseMarkers('Welcome to the login host\ncairn-j1-1 cairn-array-x 0\ncairn-j2-1 cairn-array-x 7\nbroken line\n');
    assert.deepEqual([...m], [['cairn-j1-1', { array: 'cairn-array-x', task: 0 }], ['cairn-j2-1', { array: 'cairn-array-x', task: 7 }]]);
  });
});
