// The code the job ran: its snapshot as a tree with a file viewer, and the git facts of the folder it came from.
import { useState } from 'react';
import { useApi, WS } from '../../api.ts';
import { setQuery, useLocation } from '../../router.tsx';
import { ErrorBox, Loading, Props } from '../../ui.tsx';
import type { Job } from '../../../protocol/job.ts';
import { bytes, count } from '../../format.ts';
import { FileTree, findFiles } from './file-tree.tsx';
import { FileViewer, type FileEntry } from './file-viewer.tsx';

export function CodeTab({ job }: { job: Job }) {
  return (
    <>
      <GitFacts job={job} />
      {job.snapshot_id ? <Snapshot id={job.snapshot_id} /> : <p className="card muted">This job has no code snapshot: its command ran without a code folder.</p>}
    </>
  );
}

function GitFacts({ job }: { job: Job }) {
  const g = job.git;
  return (
    <section className="card">
      <h2>Git</h2>
      {g ? (
        <Props
          rows={[
            ['Repository', g.repository_url ? <span className="mono">{g.repository_url}</span> : null],
            ['Branch', g.branch ? <span className="mono">{g.branch}</span> : null],
            ['Commit', g.commit ? <span className="mono">{g.commit}</span> : null],
            ['Uncommitted changes', g.dirty === undefined ? null : g.dirty ? 'yes: the snapshot differs from the commit' : 'no'],
          ]}
        />
      ) : (
        <p className="muted">The code folder was not in a git repository.</p>
      )}
    </section>
  );
}

function Snapshot({ id }: { id: string }) {
  const base = `${WS}/snapshots/${id}`;
  const meta = useApi<{ file_count: number; total_size: number; created_at: string }>(base);
  const manifest = useApi<{ entries: FileEntry[] }>(`${base}/manifest`);
  const selected = useLocation().query.get('file');
  const [find, setFind] = useState('');
  if (!manifest.data) return manifest.error ? <ErrorBox error={manifest.error} /> : <Loading what="reading the snapshot" />;
  const entries = manifest.data.entries;
  const file = entries.find((e) => e.path === selected);
  const select = (path: string) => setQuery({ file: path });
  return (
    <section className="card">
      <h2>Snapshot</h2>
      <p className="muted">
        <span className="mono">{id.slice(0, 12)}</span>
        {meta.data ? ` · ${count(meta.data.file_count)} files, ${bytes(meta.data.total_size)}` : null}
      </p>
      <div className="code-browser">
        <nav className="file-nav" aria-label="snapshot files">
          <label className="find">
            Find a file
            <input type="search" value={find} onChange={(e) => setFind(e.target.value)} placeholder="part of a path" />
          </label>
          {find.trim() ? (
            <ul className="tree found">
              {findFiles(entries, find.trim()).map((e) => (
                <li key={e.path}>
                  <button className={`tree-item file${e.path === selected ? ' selected' : ''}`} onClick={() => select(e.path)}>
                    {e.path}
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <FileTree entries={entries} selected={selected} onSelect={select} />
          )}
        </nav>
        <div className="file-pane">
          {file ? (
            <FileViewer key={file.path} file={file} url={`${base}/files?path=${encodeURIComponent(file.path)}`} />
          ) : selected ? (
            <ErrorBox error={`the snapshot has no file '${selected}'`} />
          ) : (
            <p className="muted">Pick a file to read it.</p>
          )}
        </div>
      </div>
    </section>
  );
}
