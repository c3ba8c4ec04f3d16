// S3-compatible object storage (AWS S3, MinIO, Ceph, …) for uploaded files, chosen when
// S3_BUCKET is configured. Path-style URLs, signed with AWS Signature V4. Pending marks (see
// FileStorage) are empty objects under `pending/`, listed by the sweep with ListObjectsV2.
import { AwsClient } from 'aws4fetch';
import { newStorageKey, type FileStorage } from './storage.ts';

export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const KEY_RE = /^(pending\/)?[a-z_]+\/[0-9a-f-]{36}\.[a-z0-9]+$/;
const PENDING = 'pending/';

export class S3FileStorage implements FileStorage {
  private readonly client: AwsClient;
  private readonly base: string;

  constructor(private readonly settings: S3Settings) {
    this.client = new AwsClient({ accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey, region: settings.region, service: 's3' });
    this.base = `${settings.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(settings.bucket)}`;
  }

  private url(key: string): string {
    // Keys are generated here; refusing anything else keeps a stored value from addressing other objects.
    if (!KEY_RE.test(key)) throw new Error('invalid storage key');
    return `${this.base}/${key}`;
  }

  private async write(key: string, data: Buffer): Promise<void> {
    const res = await this.client.fetch(this.url(key), { method: 'PUT', body: data, headers: { 'content-length': String(data.length) } });
    if (!res.ok) throw new Error(`object storage refused the upload (${res.status})`);
  }

  private async delete(key: string): Promise<void> {
    const res = await this.client.fetch(this.url(key), { method: 'DELETE' });
    if (!res.ok && res.status !== 404) throw new Error(`object storage delete failed (${res.status})`);
  }

  async put(folder: string, extension: string, data: Buffer): Promise<string> {
    const key = newStorageKey(folder, extension);
    await this.write(`${PENDING}${key}`, Buffer.alloc(0));
    await this.write(key, data);
    return key;
  }

  async read(key: string): Promise<Buffer | undefined> {
    const res = await this.client.fetch(this.url(key), { method: 'GET' });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`object storage read failed (${res.status})`);
    return Buffer.from(await res.arrayBuffer());
  }

  async remove(key: string): Promise<void> {
    await this.delete(key);
    await this.settle(key);
  }

  async settle(key: string): Promise<void> {
    await this.delete(`${PENDING}${key}`);
  }

  async pending(olderThanMs: number, limit = 1000): Promise<string[]> {
    const cutoff = Date.now() - olderThanMs;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const query = new URLSearchParams({ 'list-type': '2', prefix: PENDING, 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) });
      const res = await this.client.fetch(`${this.base}?${query}`, { method: 'GET' });
      if (!res.ok) throw new Error(`object storage list failed (${res.status})`);
      const xml = await res.text();
      for (const [, entry] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = /<Key>([^<]*)<\/Key>/.exec(entry!)?.[1]?.slice(PENDING.length);
        const modified = Date.parse(/<LastModified>([^<]*)<\/LastModified>/.exec(entry!)?.[1] ?? '');
        if (key && KEY_RE.test(key) && modified <= cutoff) keys.push(key);
        if (keys.length >= limit) return keys;
      }
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] : undefined;
    } while (token);
    return keys;
  }
}
