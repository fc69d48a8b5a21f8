// A preview of one output: text as it is, JSON pretty-printed, CSV as a table, pictures inline.
import { ErrorBox, Loading } from '../../ui.tsx';
import type { Artifact } from '../../../protocol/job.ts';
import { bytes } from '../../format.ts';
import { IMAGE, PREVIEW_BYTES, useContent } from './content.ts';
import { parseCsv } from './csv.ts';
import { CodeText } from './file-viewer.tsx';

const CSV_ROWS = 500;
type Kind = 'image' | 'json' | 'csv' | 'text' | null;

export function kindOf(a: Artifact): Kind {
  if (IMAGE.test(a.path) || a.preview === 'image') return 'image';
  if (/\.(csv|tsv)$/i.test(a.path)) return 'csv';
  if (a.preview === 'json' || /\.json$/i.test(a.path)) return 'json';
  if (a.preview === 'text' || /\.(txt|log|md|ya?ml|py|sh|cfg|ini|toml)$/i.test(a.path)) return 'text';
  return null;
}

export function Preview({ artifact: a, url }: { artifact: Artifact; url: string }) {
  const kind = kindOf(a);
  const { content, error } = useContent(kind && kind !== 'image' ? `${url}&max_bytes=${PREVIEW_BYTES}` : null);
  const name = a.path.split('/').pop()!;
  let body;
  if (kind === 'image') body = <img className="preview-image" src={url} alt={a.path} />;
  else if (!kind) body = <p className="muted">No preview for this kind of file: download it.</p>;
  else if (error) body = <ErrorBox error={error} />;
  else if (!content) body = <Loading what={`reading ${name}`} />;
  else if (content.binary) body = <p className="muted">A binary file: download it to look inside.</p>;
  else body = <TextPreview kind={kind} text={content.text} truncated={content.truncated} path={a.path} />;
  return (
    <section className="file-viewer" aria-label={`preview of ${a.path}`}>
      <header className="viewer-head">
        <h3 className="mono">{a.path}</h3>
        <span className="muted">{bytes(a.size)}</span>
        <a href={url} download={name} className="button-link">
          Download
        </a>
      </header>
      {content?.truncated ? <p className="muted">The first {bytes(PREVIEW_BYTES)} of {bytes(a.size)}: download it for the rest.</p> : null}
      {body}
    </section>
  );
}

function TextPreview({ kind, text, truncated, path }: { kind: Kind; text: string; truncated: boolean; path: string }) {
  if (kind === 'json' && !truncated) {
    try {
      return <CodeText text={JSON.stringify(JSON.parse(text), null, 2)} />;
    } catch (err) {
      return (
        <>
          <p className="error" role="alert">
            Not valid JSON: {(err as Error).message}
          </p>
          <CodeText text={text} />
        </>
      );
    }
  }
  if (kind === 'csv') {
    // A cut file ends mid-row: leave the partial last row out.
    const rows = parseCsv(truncated ? text.slice(0, text.lastIndexOf('\n') + 1) : text, CSV_ROWS + 1, /\.tsv$/i.test(path) ? '\t' : ',');
    const [head, ...body] = rows;
    if (!head) return <p className="muted">An empty table.</p>;
    return (
      <>
        <div className="table-wrap csv">
          <table className="grid">
            <thead>
              <tr>
                {head.map((h, i) => (
                  <th key={i} scope="col">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {body.slice(0, CSV_ROWS).map((r, i) => (
                <tr key={i}>
                  {r.map((c, k) => (
                    <td key={k}>{c}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {body.length > CSV_ROWS || truncated ? <p className="muted">The first {Math.min(body.length, CSV_ROWS)} rows: download the file for all of them.</p> : null}
      </>
    );
  }
  return <CodeText text={text} />;
}
