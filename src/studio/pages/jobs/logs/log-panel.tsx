// A job's log as a person reads it: live, searchable, by stream, rank and attempt, in colour.
import { useEffect, useRef, useState } from 'react';
import type { Job } from '../../../../protocol/job.ts';
import { ErrorBox } from '../../../ui.tsx';
import { count } from '../../../format.ts';
import { plainText, renderLine } from './ansi.tsx';
import { STREAMS, type StreamName } from './log-buffer.ts';
import type { FeedState, LogFeed } from './log-feed.ts';
import { FilteredLines, type LogFilter } from './log-filter.ts';
import { VirtualLines } from './virtual-lines.tsx';

const ROW_PX = 20;
const STREAM_WORDS: Record<StreamName, string> = { stdout: 'stdout', stderr: 'stderr', system: 'system (preparation)' };

export function LogPanel({ feed, state, job, only, label = 'job log' }: { feed: LogFeed; state: FeedState; job: Job; only?: StreamName; label?: string }) {
  const b = feed.buffer;
  const [search, setSearch] = useState('');
  const [typed, setTyped] = useState('');
  const [stream, setStream] = useState<StreamName | ''>(only ?? '');
  const [rank, setRank] = useState<number | null>(null);
  const [attempt, setAttempt] = useState<number | null>(null);
  const [follow, setFollow] = useState(true);
  const [times, setTimes] = useState(false);
  const [, setSlice] = useState(0);
  const view = useRef(new FilteredLines()).current;

  // Search once the typing pauses: a million lines are scanned once, not per key.
  useEffect(() => {
    const t = setTimeout(() => setSearch(typed.trim()), 250);
    return () => clearTimeout(t);
  }, [typed]);

  const filter: LogFilter = { stream, rank, attempt, search };
  const complete = view.update(b, filter);
  useEffect(() => {
    if (complete) return;
    const t = setTimeout(() => setSlice((n) => n + 1), 0);
    return () => clearTimeout(t);
  });

  const ranks = [...b.ranks].sort((x, y) => x - y);
  const attempts = [...b.attempts].sort((x, y) => x - y);
  const nodeOf = (r: number) => job.attempts?.filter((a) => a.rank === r).at(-1)?.node;
  const filtered = stream !== (only ?? '') || rank !== null || attempt !== null || search !== '';

  const renderRow = (row: number) => {
    const i = view.at(row);
    return (
      <>
        <span className="ln" aria-hidden="true">
          {i + 1}
        </span>
        {times ? <span className="lt">{new Date(b.ts[i]!).toLocaleTimeString()}</span> : null}
        {ranks.length > 1 ? <span className="lr" title={`rank ${b.rank[i]} on ${nodeOf(b.rank[i]!) ?? 'its node'}`}>{b.rank[i]}</span> : null}
        <span className={`lx ${STREAMS[b.stream[i]!]}`}>{renderLine(b.text[i]!, search)}</span>
      </>
    );
  };

  const save = () => {
    const lines: string[] = [];
    for (let r = 0; r < view.length; r++) lines.push(plainText(b.text[view.at(r)]!));
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/plain' }));
    a.download = `${job.name}${only ? `-${only}` : ''}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  return (
    <div className="log-panel">
      <div className="log-tools">
        <label className="inline grow">
          Search
          <input type="search" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="text in the lines" />
        </label>
        {only ? null : (
          <label className="inline">
            Stream
            <select value={stream} onChange={(e) => setStream(e.target.value as StreamName | '')}>
              <option value="">All streams</option>
              {STREAMS.map((s) => (
                <option key={s} value={s}>
                  {STREAM_WORDS[s]}
                </option>
              ))}
            </select>
          </label>
        )}
        {ranks.length > 1 ? (
          <label className="inline">
            Rank
            <select value={rank ?? ''} onChange={(e) => setRank(e.target.value === '' ? null : Number(e.target.value))}>
              <option value="">All ranks</option>
              {ranks.map((r) => (
                <option key={r} value={r}>
                  rank {r}
                  {nodeOf(r) ? ` (node ${nodeOf(r)})` : ''}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {attempts.length > 1 ? (
          <label className="inline">
            Attempt
            <select value={attempt ?? ''} onChange={(e) => setAttempt(e.target.value === '' ? null : Number(e.target.value))}>
              <option value="">All attempts</option>
              {attempts.map((a) => (
                <option key={a} value={a}>
                  attempt {a}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label className="inline check">
          <input type="checkbox" checked={times} onChange={(e) => setTimes(e.target.checked)} />
          Times
        </label>
        <button className="small" aria-pressed={follow} onClick={() => setFollow(!follow)} title="keep the newest line in sight">
          {follow ? 'Following' : 'Follow'}
        </button>
        <button className="small" onClick={save} disabled={view.length === 0}>
          Save
        </button>
      </div>
      <p className="log-status muted" role="status" aria-live="polite">
        {statusWords(state, only && !filtered ? view.length : b.length, view.length, filtered, complete, Boolean(only))}
      </p>
      {state.error ? <ErrorBox error={state.error} /> : null}
      {/* Nothing to show yet: no empty box (it appears with the first line). */}
      {view.length === 0 ? null : <VirtualLines count={view.length} rowHeight={ROW_PX} follow={follow} onFollowChange={setFollow} renderRow={renderRow} label={label} version={state.version} />}
    </div>
  );
}

/** Where the log stands: lines so far and whether more come; with a search, how many match. */
function statusWords(s: FeedState, total: number, shown: number, filtered: boolean, complete: boolean, oneStream: boolean): string {
  if (filtered && oneStream) return `${complete ? '' : 'searching… '}${count(shown)} matching`;
  if (total === 0) return s.phase === 'loading' ? 'loading…' : s.phase === 'done' ? 'no lines: nothing was printed' : 'no lines yet; following live';
  const lines = `${count(total)} line${total === 1 ? '' : 's'}`;
  const phase = s.phase === 'loading' ? `loading… ${lines} so far` : s.phase === 'following' ? `${lines}, following live` : s.phase === 'reconnecting' ? `${lines}; reconnecting…` : lines;
  if (!filtered) return phase;
  return `${phase} · ${complete ? '' : 'searching… '}${count(shown)} matching`;
}
