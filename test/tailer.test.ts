import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileTailer, MAX_LINE_BYTES } from '../src/agent/tailer.ts';
import { describeExit } from '../src/agent/shim.ts';
import { tempDir } from './helpers/cairn.ts';

describe('agent log tailer', () => {
  it('yields whole lines identified by byte offsets, holding a partial line until it ends', () => {
    const f = join(tempDir('tail'), 'out.log');
    writeFileSync(f, 'héllo\nwor');
    const t = new FileTailer(f, 'stdout', 0);
    const a = t.read(false, 100);
    assert.deepEqual(a.map((l) => [l.line.offset, l.line.text, l.end]), [[0, 'héllo', 7]]);
    appendFileSync(f, 'ld\r\nlast');
    const b = t.read(false, 100);
    assert.deepEqual(b.map((l) => [l.line.offset, l.line.text]), [[7, 'world']]);
    const c = t.read(true, 100);
    assert.deepEqual(c.map((l) => [l.line.offset, l.line.text, l.end]), [[14, 'last', 18]]);
    assert.equal(t.read(true, 100).length, 0);
  });

  it('resumes from an acknowledged offset with the same line identities', () => {
    const f = join(tempDir('tail'), 'out.log');
    writeFileSync(f, 'a\nbb\nccc\n');
    const first = new FileTailer(f, 'stderr', 0).read(false, 100);
    const resumed = new FileTailer(f, 'stderr', first[0].end).read(false, 100);
    assert.deepEqual(resumed.map((l) => l.line), first.slice(1).map((l) => l.line).map((l) => ({ ...l, ts: resumed[0].line.ts })));
  });

  it('cuts very long lines at fixed positions and respects maxLines', () => {
    const f = join(tempDir('tail'), 'out.log');
    writeFileSync(f, `${'x'.repeat(MAX_LINE_BYTES + 10)}\n1\n2\n3\n`);
    const t = new FileTailer(f, 'stdout', 0);
    const two = t.read(false, 2);
    assert.deepEqual(two.map((l) => [l.line.offset, l.line.text.length]), [[0, MAX_LINE_BYTES], [MAX_LINE_BYTES, 10]]);
    const rest = t.read(false, 100);
    assert.deepEqual(rest.map((l) => l.line.text), ['1', '2', '3']);
  });

  it('explains exit codes in words', () => {
    assert.match(describeExit(127, 'bash: nope: command not found'), /command not found \(exit code 127\): bash: nope/);
    assert.match(describeExit(137), /SIGKILL: often the out-of-memory killer/);
    assert.match(describeExit(2, 'boom'), /exited with code 2: boom/);
  });
});
