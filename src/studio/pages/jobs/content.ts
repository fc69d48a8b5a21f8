// Reading a file's content (a snapshot file, an output) as text: api() would parse a .json file
// into an object, and the viewer needs the bytes as written and whether they were cut short.
import { useEffect, useState } from 'react';
import { ApiError } from '../../api.ts';

export interface Content {
  text: string;
  /** The server sent only the first `max_bytes` (x-cairn-truncated). */
  truncated: boolean;
  /** NUL bytes in the first few kilobytes: not text a person can read. */
  binary: boolean;
}

/** How much of a file a preview reads. */
export const PREVIEW_BYTES = 512 * 1024;

async function fetchContent(url: string): Promise<Content> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: 'same-origin' });
  } catch {
    throw new ApiError('ServerUnreachable', 'the Cairn server cannot be reached: is it running?', 0);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ApiError(body?.error?.code ?? `HTTP${res.status}`, body?.error?.message ?? `the server answered ${res.status}`, res.status);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const binary = bytes.subarray(0, 8192).includes(0);
  // A cut may fall inside a UTF-8 sequence: the decoder marks it instead of failing.
  return { text: binary ? '' : new TextDecoder().decode(bytes), truncated: res.headers.get('x-cairn-truncated') === 'true', binary };
}

export function useContent(url: string | null): { content: Content | null; error: ApiError | null } {
  const [state, setState] = useState<{ url: string | null; content: Content | null; error: ApiError | null }>({ url: null, content: null, error: null });
  useEffect(() => {
    if (!url) return;
    let stop = false;
    fetchContent(url).then(
      (content) => !stop && setState({ url, content, error: null }),
      (error: ApiError) => !stop && setState({ url, content: null, error }),
    );
    return () => {
      stop = true;
    };
  }, [url]);
  return state.url === url ? state : { content: null, error: null };
}

export const IMAGE = /\.(png|jpe?g|gif|webp|svg|bmp|ico)$/i;
