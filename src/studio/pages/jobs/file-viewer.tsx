// One file of the job's code: text with line numbers, a picture, or a note that it is binary;
// always with a link to download the whole file.
import { ErrorBox, Loading } from '../../ui.tsx';
import { bytes } from '../../format.ts';
import { IMAGE, PREVIEW_BYTES, useContent } from './content.ts';

export interface FileEntry {
  path: string;
  size: number;
  mode: number;
  link?: string;
}

export function FileViewer({ file, url }: { file: FileEntry; url: string }) {
  const image = IMAGE.test(file.path);
  const { content, error } = useContent(file.link !== undefined || image ? null : `${url}&max_bytes=${PREVIEW_BYTES}`);
  const name = file.path.split('/').pop()!;
  return (
    <section className="file-viewer" aria-label={`file ${file.path}`}>
      <header className="viewer-head">
        <h3 className="mono">{file.path}</h3>
        <span className="muted">
          {bytes(file.size)} · mode {file.mode.toString(8).padStart(3, '0')}
        </span>
        {file.link === undefined ? (
          <a href={url} download={name} className="button-link">
            Download
          </a>
        ) : null}
      </header>
      {file.link !== undefined ? (
        <p>
          A symbolic link to <span className="mono">{file.link}</span>.
        </p>
      ) : image ? (
        <img className="preview-image" src={url} alt={file.path} />
      ) : error ? (
        <ErrorBox error={error} />
      ) : !content ? (
        <Loading what={`reading ${name}`} />
      ) : content.binary ? (
        <p className="muted">A binary file: download it to look inside.</p>
      ) : (
        <>
          {content.truncated ? <p className="muted">The first {bytes(PREVIEW_BYTES)} of {bytes(file.size)}: download it for the rest.</p> : null}
          <CodeText text={content.text} />
        </>
      )}
    </section>
  );
}

export function CodeText({ text }: { text: string }) {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return (
    <pre className="code-text" tabIndex={0}>
      <code>
        {lines.map((l, i) => (
          <span className="code-line" key={i}>
            {l}
            {'\n'}
          </span>
        ))}
      </code>
    </pre>
  );
}
