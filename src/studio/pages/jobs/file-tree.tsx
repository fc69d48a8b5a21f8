// The code snapshot as folders and files. Folders open on demand and a very big folder shows its
// first entries, so a tree of two hundred thousand files renders as fast as a small one.
import { useMemo, useState } from 'react';
import type { FileEntry } from './file-viewer.tsx';

const SHOWN_PER_FOLDER = 500;

interface Folder {
  folders: string[];
  files: FileEntry[];
}

/** Each folder's direct children, sorted: folders first, then files, by name. */
function index(entries: FileEntry[]): Map<string, Folder> {
  const map = new Map<string, Folder>([['', { folders: [], files: [] }]]);
  const folder = (path: string): Folder => {
    let f = map.get(path);
    if (!f) {
      f = { folders: [], files: [] };
      map.set(path, f);
      const cut = path.lastIndexOf('/');
      folder(cut === -1 ? '' : path.slice(0, cut)).folders.push(path);
    }
    return f;
  };
  for (const e of entries) {
    const cut = e.path.lastIndexOf('/');
    folder(cut === -1 ? '' : e.path.slice(0, cut)).files.push(e);
  }
  for (const f of map.values()) {
    f.folders.sort();
    f.files.sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  return map;
}

const parentsOf = (path: string) => path.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'));

export function FileTree({ entries, selected, onSelect }: { entries: FileEntry[]; selected: string | null; onSelect: (path: string) => void }) {
  const tree = useMemo(() => index(entries), [entries]);
  const [open, setOpen] = useState<Set<string>>(() => new Set(selected ? parentsOf(selected) : []));
  const toggle = (p: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(p)) n.delete(p);
      else n.add(p);
      return n;
    });

  const render = (path: string, depth: number) => {
    const f = tree.get(path)!;
    const files = f.files.slice(0, SHOWN_PER_FOLDER);
    return (
      <ul className="tree" role={depth === 0 ? 'tree' : 'group'} aria-label={depth === 0 ? 'files of the snapshot' : undefined}>
        {f.folders.map((d) => (
          <li key={d} role="treeitem" aria-expanded={open.has(d)}>
            <button className="tree-item folder" style={{ paddingLeft: `${depth * 0.9 + 0.3}rem` }} onClick={() => toggle(d)}>
              <span aria-hidden="true">{open.has(d) ? '▾' : '▸'} </span>
              {d.slice(d.lastIndexOf('/') + 1)}/
            </button>
            {open.has(d) ? render(d, depth + 1) : null}
          </li>
        ))}
        {files.map((e) => (
          <li key={e.path} role="treeitem" aria-selected={e.path === selected}>
            <button className={`tree-item file${e.path === selected ? ' selected' : ''}`} style={{ paddingLeft: `${depth * 0.9 + 1.2}rem` }} onClick={() => onSelect(e.path)}>
              {e.path.slice(e.path.lastIndexOf('/') + 1)}
              {e.link !== undefined ? <span className="muted"> → {e.link}</span> : null}
            </button>
          </li>
        ))}
        {f.files.length > files.length ? (
          <li className="muted tree-more" style={{ paddingLeft: `${depth * 0.9 + 1.2}rem` }}>
            {f.files.length - files.length} more files here: find them by name above
          </li>
        ) : null}
      </ul>
    );
  };
  return render('', 0);
}

/** Paths that hold the text typed, for a tree too big to browse by hand. */
export function findFiles(entries: FileEntry[], text: string, max = 100): FileEntry[] {
  const t = text.toLowerCase();
  const out: FileEntry[] = [];
  for (const e of entries) {
    if (e.path.toLowerCase().includes(t)) out.push(e);
    if (out.length >= max) break;
  }
  return out;
}
