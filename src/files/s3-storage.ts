// S3-compatible object storage (AWS S3, MinIO, Ceph, …) for uploaded files, chosen when
// S3_BUCKET is configured. Path-style URLs, signed with AWS Signature V4.
import { randomUUID } from 'node:crypto';
import { AwsClient } from 'aws4fetch';
import type { FileStorage } from './storage.ts';

export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const KEY_RE = /^[a-z_]+\/[0-9a-f-]{36}\.[a-z0-9]+$/;

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

  async put(folder: string, extension: string, data: Buffer): Promise<string> {
    const key = `${folder}/${randomUUID()}.${extension}`;
    const res = await this.client.fetch(this.url(key), { method: 'PUT', body: data, headers: { 'content-length': String(data.length) } });
    if (!res.ok) throw new Error(`object storage refused the upload (${res.status})`);
    return key;
  }

  async read(key: string): Promise<Buffer | undefined> {
    const res = await this.client.fetch(this.url(key), { method: 'GET' });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`object storage read failed (${res.status})`);
    return Buffer.from(await res.arrayBuffer());
  }

  async remove(key: string): Promise<void> {
    const res = await this.client.fetch(this.url(key), { method: 'DELETE' });
    if (!res.ok && res.status !== 404) throw new Error(`object storage delete failed (${res.status})`);
  }
}
