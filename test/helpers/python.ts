// Python scripts the Python SDK's tests run: Debian's interpreter (standard library only) with the
// repository's `cairn` package on PYTHONPATH, and nothing of this process's environment but PATH
// and HOME (a test's variables come in `env`).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cairn.ts';
import { SYSTEM_PYTHON } from './wheels.ts';

export interface PyResult {
  code: number;
  stdout: string;
  stderr: string;
  /** What the script printed as `RESULT <json>` lines, in order (the prelude's `result(v)`). */
  results: any[];
}

/** Runs `code` with a `result(v)` helper defined; killed after two minutes. */
export function py(code: string, o: { cwd: string; env?: NodeJS.ProcessEnv; pythonPath?: string }): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const prelude = 'import json, sys\ndef result(v):\n    print("RESULT " + json.dumps(v), flush=True)\n';
    const child = spawn(SYSTEM_PYTHON, ['-c', prelude + code], {
      cwd: o.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PYTHONPATH: o.pythonPath ?? join(ROOT, 'src/agent/python'), PYTHONDONTWRITEBYTECODE: '1', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (c) => {
      clearTimeout(timer);
      const results = stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)));
      resolve({ code: c ?? -1, stdout, stderr, results });
    });
  });
}
