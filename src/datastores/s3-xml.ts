// The two S3 XML answers the s3 datastore reads: a ListObjectsV2 page and an <Error>. S3's XML is
// flat and machine-written, so a few anchored patterns read it without an XML library. Text is
// XML-escaped (a key may hold & < > " '), and S3 writes control characters as numeric references.

interface ListedObject {
  key: string;
  size: number;
  etag: string;
}

export interface ListPage {
  contents: ListedObject[];
  truncated: boolean;
  next?: string;
}

/** One ListObjectsV2 page, or null when the text is not one (a proxy's HTML page, a cut answer). */
export function parseListXml(xml: string): ListPage | null {
  if (!/<ListBucketResult[\s>]/.test(xml) || !xml.includes('</ListBucketResult>')) return null;
  const contents: ListedObject[] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = text(m[1]!, 'Key');
    const size = Number(text(m[1]!, 'Size'));
    if (key === undefined || !Number.isSafeInteger(size) || size < 0) return null;
    contents.push({ key, size, etag: text(m[1]!, 'ETag') ?? '' });
  }
  const truncated = text(xml, 'IsTruncated') === 'true';
  const next = text(xml, 'NextContinuationToken');
  // A truncated page without a token would page forever from the start: treat it as unreadable.
  if (truncated && !next) return null;
  return { contents, truncated, ...(next ? { next } : {}) };
}

/** The <Code> and <Message> of an S3 error body (either may be missing: HEAD answers have no body). */
export function parseErrorXml(xml: string): { code?: string; message?: string } {
  const inner = /<Error>([\s\S]*?)<\/Error>/.exec(xml)?.[1];
  if (inner === undefined) return {};
  const code = text(inner, 'Code');
  const message = text(inner, 'Message');
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}

/** The unescaped text of the first <name>…</name> (or '' for <name/>), searched in `xml`. */
function text(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>|<${name}\\s*/>`).exec(xml);
  if (!m) return undefined;
  return unescapeXml(m[1] ?? '');
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref]!;
    const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}
