// A datastore in an S3-compatible bucket (AWS, MinIO, Ceph, Garage...), spoken to directly with
// SigV4-signed requests (aws4fetch over Node's fetch) on path-style URLs: ${endpoint}/${bucket}/${key},
// which every S3-compatible server accepts, unlike bucket subdomains. The optional prefix is put in
// front of every key. A path that is exactly a key is a file; otherwise it names the keys under
// `path/`, S3's only notion of a folder.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AwsClient } from 'aws4fetch';
import type { DatastoreSpec } from '../protocol/data.ts';
import { byPath, oneLine, quote, relParts, sizeGuard, tooManyFiles } from './common.ts';
import { parseErrorXml, parseListXml } from './s3-xml.ts';
import { DatastoreError, type DatastoreBackend, type DatastoreFile } from './types.ts';
import { SOCKET_CAUSES } from '../transports/socket-causes.ts';

type Spec = Extract<DatastoreSpec, { type: 's3' }>;

/** The answers that mean the credentials, not the request, are wrong. */
const DENIED = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'AuthorizationHeaderMalformed', 'RequestTimeTooSkewed']);

export class S3Datastore implements DatastoreBackend {
  readonly type = 's3' as const;
  private readonly spec: Spec;
  private readonly aws: AwsClient;
  private readonly endpoint: string;
  private readonly prefix: string[];

  constructor(spec: Spec) {
    this.spec = spec;
    // retries: 0, because a request whose body was a stream cannot be sent twice.
    this.aws = new AwsClient({ accessKeyId: spec.credentials.access_key_id, secretAccessKey: spec.credentials.secret_access_key, service: 's3', region: spec.region, retries: 0 });
    this.endpoint = spec.endpoint.replace(/\/+$/, '');
    this.prefix = (spec.prefix ?? '').split('/').filter((p) => p !== '');
  }

  async probe(): Promise<void> {
    await this.listPage(this.prefix.length ? `${this.prefix.join('/')}/` : '', undefined, 1, '');
  }

  async list(path: string, o: { maxFiles?: number } = {}): Promise<{ isFile: boolean; files: DatastoreFile[] }> {
    const parts = relParts(path);
    const key = this.key(parts);
    if (parts.length) {
      const head = await this.send('HEAD', this.url(key), {}, path);
      if (head.ok) return { isFile: true, files: [{ path: '', size: Number(head.headers.get('content-length') ?? 0), stamp: etag(head.headers.get('etag')) }] };
      // A 404 to HEAD has no body to tell a missing key from a missing bucket: the listing below tells.
      if (head.status !== 404) await this.fail(head, path);
    }
    const under = key ? `${key}/` : '';
    const maxFiles = o.maxFiles ?? Infinity;
    const files: DatastoreFile[] = [];
    let seen = 0;
    let token: string | undefined;
    do {
      const page = await this.listPage(under, token, 1000, path);
      for (const c of page.contents) {
        seen++;
        if (c.key.endsWith('/')) continue; // a "folder" marker some tools make, not a file
        files.push({ path: c.key.slice(under.length), size: c.size, stamp: etag(c.etag) });
      }
      if (files.length > maxFiles) throw tooManyFiles(`${quote(path)} in bucket '${this.spec.bucket}'`, maxFiles);
      token = page.truncated ? page.next : undefined;
    } while (token);
    if (parts.length && seen === 0) throw this.missing(path);
    return { isFile: false, files: files.sort(byPath) };
  }

  async read(path: string): Promise<Readable> {
    const parts = relParts(path);
    const res = await this.send('GET', this.url(this.key(parts)), {}, path);
    if (!res.ok || !res.body) return this.fail(res, path);
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  async write(path: string, body: Readable, size: number): Promise<void> {
    const parts = relParts(path);
    if (!parts.length) {
      body.destroy();
      throw new DatastoreError('Invalid', 'a file to write needs a path inside the datastore, not its root');
    }
    const guard = sizeGuard(size, quote(path));
    const feeding = pipeline(body, guard).then(
      () => null,
      (err: unknown) => err,
    );
    let res: Response;
    try {
      // Streamed with its length announced: S3 refuses a chunked PUT without one; the payload is
      // UNSIGNED-PAYLOAD (aws4fetch's default for s3), since hashing it first would mean reading it twice.
      res = await this.send('PUT', this.url(this.key(parts)), { headers: { 'content-length': String(size) }, body: Readable.toWeb(guard) as ReadableStream, duplex: 'half' } as RequestInit, path);
    } catch (err) {
      guard.destroy();
      const fed = await feeding;
      throw fed instanceof DatastoreError ? fed : err;
    }
    if (!res.ok) {
      guard.destroy();
      await feeding;
      return this.fail(res, path);
    }
    await res.body?.cancel();
    const fed = await feeding;
    if (fed) throw fed;
  }

  async close(): Promise<void> {}

  private key(parts: string[]): string {
    return [...this.prefix, ...parts].join('/');
  }

  /** Each segment percent-encoded as SigV4 canonicalizes it (RFC 3986: !'()* too). */
  private url(key: string, query?: Record<string, string>): string {
    const path = key
      .split('/')
      .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
      .join('/');
    const q = query ? `?${new URLSearchParams(query)}` : '';
    return `${this.endpoint}/${this.spec.bucket}${key ? `/${path}` : ''}${q}`;
  }

  private async listPage(prefix: string, token: string | undefined, maxKeys: number, path: string) {
    const query: Record<string, string> = { 'list-type': '2', 'max-keys': String(maxKeys), prefix };
    if (token) query['continuation-token'] = token;
    const res = await this.send('GET', this.url('', query), {}, path);
    if (!res.ok) return this.fail(res, path);
    const page = parseListXml(await res.text());
    if (!page) throw new DatastoreError('Invalid', `s3: ${this.endpoint} answered a listing of bucket '${this.spec.bucket}' that cannot be read`);
    return page;
  }

  private async send(method: string, url: string, init: RequestInit, path: string): Promise<Response> {
    try {
      return await this.aws.fetch(url, { ...init, method });
    } catch (err) {
      throw this.netError(err, path);
    }
  }

  /** The DatastoreError for a response that is not 2xx, from S3's <Error><Code>. */
  private async fail(res: Response, path: string): Promise<never> {
    const text = res.body ? await res.text().catch(() => '') : '';
    const { code, message } = parseErrorXml(text);
    const said = `${code ?? res.status}${message ? `: ${oneLine(message, 200)}` : ''}`;
    if (res.status === 403 || (code && DENIED.has(code))) {
      throw new DatastoreError('Denied', `s3: ${this.endpoint} refused access key '${this.spec.credentials.access_key_id}' for bucket '${this.spec.bucket}' (${said})`);
    }
    if (code === 'NoSuchBucket') throw new DatastoreError('NotFound', `s3: bucket '${this.spec.bucket}' does not exist at ${this.endpoint}`);
    if (res.status === 404) throw this.missing(path);
    if (res.status >= 500) throw new DatastoreError('Unreachable', `s3: ${this.endpoint} failed with ${res.status} (${said})`);
    throw new DatastoreError('Invalid', `s3: ${this.endpoint} refused the request for ${quote(path)} with ${res.status} (${said})`);
  }

  private missing(path: string): DatastoreError {
    return new DatastoreError('NotFound', `${quote(path)} does not exist in bucket '${this.spec.bucket}' at ${this.endpoint}`);
  }

  private netError(err: unknown, path: string): DatastoreError {
    if (err instanceof DatastoreError) return err;
    // Node's fetch fails with TypeError('fetch failed') whose cause is the socket error (an AggregateError for several addresses).
    const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    const code = cause?.code ?? cause?.errors?.[0]?.code;
    if (code && SOCKET_CAUSES[code]) return new DatastoreError('Unreachable', `s3: cannot reach ${this.endpoint}: ${SOCKET_CAUSES[code]}`);
    const msg = oneLine(cause?.message ?? (err as Error).message ?? String(err));
    return new DatastoreError('Unreachable', `s3: ${quote(path)} at ${this.endpoint}: ${msg}`);
  }
}

/** An ETag without its quotes; it changes whenever the object is written again. */
function etag(v: string | null | undefined): string {
  return (v ?? '').replace(/^"|"$/g, '');
}
